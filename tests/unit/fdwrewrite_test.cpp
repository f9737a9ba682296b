// Unit tests for lib/fdwrewrite: OPTIONS rewriting with SQL quoting rules,
// user-mapping precedence, roles, unmapped servers, --check, the spool, and
// byte identity for input without FDW statements.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exitcodes.h"
#include "fdwmap.h"
#include "fdwrewrite.h"
#include "log.h"

using namespace fdwcopy;

namespace {

std::string read_fd(int fd) {
    std::string out;
    ::lseek(fd, 0, SEEK_SET);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

struct Outcome {
    int rc = -1;
    std::string out, err;
};

// Runs the whole filter with the input and map given as text; captures fd 2.
Outcome run(const std::string& sql, const std::string& map_text, RewriteConfig cfg = {},
        size_t memory = 1 << 20) {
    log_init("fdw-rewrite");
    FdwMap map = FdwMap::parse(map_text, "t.map");
    FILE* in = std::tmpfile();
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    std::fwrite(sql.data(), 1, sql.size(), in);
    std::fflush(in);
    ::lseek(fileno(in), 0, SEEK_SET);
    int saved = ::dup(2);
    ::dup2(fileno(err), 2);
    Outcome r;
    try {
        r.rc = run_fdw_rewrite(fileno(in), fileno(out), map, cfg, memory);
    } catch (const Error& e) {
        r.rc = report(e);
    }
    ::dup2(saved, 2);
    ::close(saved);
    r.out = read_fd(fileno(out));
    r.err = read_fd(fileno(err));
    std::fclose(in);
    std::fclose(out);
    std::fclose(err);
    return r;
}

const char* const kDump =
    "--\n"
    "-- Name: archive_server; Type: SERVER; Schema: -; Owner: postgres\n"
    "--\n"
    "\n"
    "CREATE SERVER archive_server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (\n"
    "    dbname 'x',\n"
    "    host '/tmp/prod',\n"
    "    port '5432'\n"
    ");\n"
    "\n"
    "\n"
    "ALTER SERVER archive_server OWNER TO postgres;\n"
    "\n"
    "CREATE USER MAPPING FOR postgres SERVER archive_server OPTIONS (\n"
    "    password 'pw',\n"
    "    \"user\" 'postgres'\n"
    ");\n";

}  // namespace

TEST(FdwRewrite, PgDumpServerAndUserMapping) {
    Outcome r = run(kDump,
                "[server:archive_server]\nhost = 127.0.0.1\nport = 6543\nsslmode = require\n"
                "[user-mapping:postgres@archive_server]\npassword = new'pw\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
              "--\n"
              "-- Name: archive_server; Type: SERVER; Schema: -; Owner: postgres\n"
              "--\n"
              "\n"
              "CREATE SERVER archive_server FOREIGN DATA WRAPPER postgres_fdw OPTIONS (\n"
              "    dbname 'x',\n"
              "    host '127.0.0.1',\n"
              "    port '6543',\n"
              "    sslmode 'require'\n"
              ");\n"
              "\n"
              "\n"
              "ALTER SERVER archive_server OWNER TO postgres;\n"
              "\n"
              "CREATE USER MAPPING FOR postgres SERVER archive_server OPTIONS (\n"
              "    password 'new''pw',\n"
              "    \"user\" 'postgres'\n"
              ");\n");
}

TEST(FdwRewrite, SameValuesLeaveBytesAlone) {
    Outcome r = run(kDump, "[server:archive_server]\nhost = /tmp/prod\n[user-mapping:*@archive_server]\nuser = postgres\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, kDump);
}

TEST(FdwRewrite, NonSuperuserDumpGetsAnOptionsClause) {
    Outcome r = run("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\nCREATE USER MAPPING FOR alice SERVER s;\n",
                "[server:s]\nhost = h\n[user-mapping:alice@s]\nuser = bob\npassword = x\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (\n    host 'h'\n);\n"
              "CREATE USER MAPPING FOR alice SERVER s OPTIONS (\n    \"user\" 'bob',\n    password 'x'\n);\n");
}

TEST(FdwRewrite, UserMappingPrecedence) {
    Outcome r = run("CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (\"user\" 'u0');\n"
                "CREATE USER MAPPING FOR alice SERVER s OPTIONS (\"user\" 'u1', password 'p1');\n"
                "CREATE USER MAPPING FOR bob SERVER s;\n",
                "[server:s]\n"
                "[user-mapping:*@s]\nuser = any\npassword = anypw\n"
                "[user-mapping:public@s]\nuser = pub\n"
                "[user-mapping:alice@s]\nuser = al\npassword =\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (\"user\" 'pub', password 'anypw');\n"
              "CREATE USER MAPPING FOR alice SERVER s OPTIONS (\"user\" 'al');\n"
              "CREATE USER MAPPING FOR bob SERVER s OPTIONS (\n    \"user\" 'any',\n    password 'anypw'\n);\n");
}

TEST(FdwRewrite, RoleMoveAndDrop) {
    Outcome r = run("DROP USER MAPPING IF EXISTS FOR alice SERVER s;\n"
                "DROP USER MAPPING IF EXISTS FOR carol SERVER s;\n"
                "CREATE USER MAPPING FOR alice SERVER s OPTIONS (\n    password 'a-pw'\n);\n"
                "\n--\n-- Name: USER MAPPING carol SERVER s\n--\n\n"
                "CREATE USER MAPPING FOR carol SERVER s OPTIONS (\n    password 'c-pw',\n    \"user\" 'c'\n);\n",
                "[server:s]\n[user-mapping:alice@s]\nrole = Bob\n[user-mapping:carol@s]\ndrop = true\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "DROP USER MAPPING IF EXISTS FOR \"Bob\" SERVER s;\n"
              "-- fdw-rewrite: user mapping for \"carol\" on server \"s\" dropped: drop = true in "
              "[user-mapping:carol@s] (t.map:5)\n"
              "-- DROP USER MAPPING IF EXISTS FOR carol SERVER s;\n"
              "CREATE USER MAPPING FOR \"Bob\" SERVER s OPTIONS (\n    password 'a-pw'\n);\n"
              "\n--\n-- Name: USER MAPPING carol SERVER s\n--\n\n"
              "-- fdw-rewrite: user mapping for \"carol\" on server \"s\" dropped: drop = true in "
              "[user-mapping:carol@s] (t.map:5)\n"
              "-- CREATE USER MAPPING FOR carol SERVER s OPTIONS (\n"
              "--     password '****',\n"
              "--     \"user\" 'c'\n"
              "-- );\n");
    EXPECT_EQ(r.out.find("c-pw"), std::string::npos);
}

TEST(FdwRewrite, RoleKeywords) {
    Outcome r = run("CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER s;\n"
                "CREATE USER MAPPING FOR USER SERVER s;\n"
                "CREATE USER MAPPING FOR \"public\" SERVER s;\n"
                "CREATE USER MAPPING FOR \"current_user\" SERVER s;\n"
                "CREATE USER MAPPING FOR \"Alice\" SERVER s;\n",
                "[server:s]\n[user-mapping:current_user@s]\nuser = cu\n[user-mapping:public@s]\nrole = session_user\n"
                "[user-mapping:Alice@s]\nuser = A\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER s OPTIONS (\n    \"user\" 'cu'\n);\n"
              "CREATE USER MAPPING FOR USER SERVER s OPTIONS (\n    \"user\" 'cu'\n);\n"
              "CREATE USER MAPPING FOR SESSION_USER SERVER s;\n"
              "CREATE USER MAPPING FOR \"current_user\" SERVER s OPTIONS (\n    \"user\" 'cu'\n);\n"
              "CREATE USER MAPPING FOR \"Alice\" SERVER s OPTIONS (\n    \"user\" 'A'\n);\n");
}

TEST(FdwRewrite, NewRolesAndOptionNamesAsPgDumpWritesThem) {
    Outcome r = run("CREATE USER MAPPING FOR a SERVER s;\nCREATE USER MAPPING FOR b SERVER s;\n"
                    "CREATE USER MAPPING FOR c SERVER s;\nCREATE USER MAPPING FOR d SERVER s;\n",
                    "[server:s]\n[user-mapping:a@s]\nrole = bob\n[user-mapping:b@s]\nrole = user\n"
                    "[user-mapping:c@s]\nrole = int\n[user-mapping:d@s]\nrole = PUBLIC\ntable = t\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "CREATE USER MAPPING FOR bob SERVER s;\nCREATE USER MAPPING FOR \"user\" SERVER s;\n"
              "CREATE USER MAPPING FOR \"int\" SERVER s;\n"
              "CREATE USER MAPPING FOR public SERVER s OPTIONS (\n    \"table\" 't'\n);\n");
}

TEST(FdwRewrite, AlterStatements) {
    Outcome r = run("ALTER SERVER s OPTIONS (SET host 'old', ADD port '1', DROP sslmode);\n"
                "ALTER SERVER s OPTIONS (ADD port '2');\n"
                "ALTER SERVER s VERSION '2' OPTIONS (SET port '2');\n"
                "ALTER SERVER s OWNER TO bob;\n"
                "ALTER SERVER s RENAME TO t;\n"
                "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (SET password 'old', ADD \"user\" 'u');\n",
                "[server:s]\nhost = new\nport =\n[user-mapping:*@s]\npassword = new\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "ALTER SERVER s OPTIONS (SET host 'new', DROP sslmode);\n"
              "-- fdw-rewrite: server \"s\": the map removed every option this ALTER SERVER sets\n"
              "-- ALTER SERVER s OPTIONS (ADD port '2');\n"
              "ALTER SERVER s VERSION '2';\n"
              "ALTER SERVER s OWNER TO bob;\n"
              "ALTER SERVER s RENAME TO t;\n"
              "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (SET password 'new', ADD \"user\" 'u');\n");
}

TEST(FdwRewrite, RemovingEveryOptionRemovesTheClause) {
    Outcome r = run("CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'a');\n", "[server:s]\nhost =\n");
    EXPECT_EQ(r.out, "CREATE SERVER s FOREIGN DATA WRAPPER w;\n");
}

TEST(FdwRewrite, QuotingRules) {
    Outcome r = run("CREATE SERVER IF NOT EXISTS \"My Srv\" TYPE 'x' VERSION '1' FOREIGN DATA WRAPPER \"W\" "
                "OPTIONS (\"user\" 'it''s', Host E'a\\\\b', \"Odd\" 'o')",
                "[server:My Srv]\nuser = it's\nhost = C:\\dir\nOdd = o'o\nNew Opt = v\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "CREATE SERVER IF NOT EXISTS \"My Srv\" TYPE 'x' VERSION '1' FOREIGN DATA WRAPPER \"W\" "
              "OPTIONS (\"user\" 'it''s', Host E'C:\\\\dir', \"Odd\" 'o''o', \"New Opt\" 'v')");
}

TEST(FdwRewrite, StandardConformingStringsOff) {
    Outcome r = run("SET standard_conforming_strings = off;\n"
                "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'a\\'; b');\n"
                "SET standard_conforming_strings = on;\n"
                "CREATE SERVER t FOREIGN DATA WRAPPER w OPTIONS (host 'a\\');\n",
                "[server:s]\nhost = x\n[server:t]\nhost = y\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out,
              "SET standard_conforming_strings = off;\n"
              "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'x');\n"
              "SET standard_conforming_strings = on;\n"
              "CREATE SERVER t FOREIGN DATA WRAPPER w OPTIONS (host 'y');\n");
}

TEST(FdwRewrite, CommentsInsideTheStatement) {
    Outcome r = run("CREATE /* OPTIONS (host 'c') */ SERVER s -- OPTIONS (host 'd')\n"
                "  FOREIGN DATA WRAPPER w OPTIONS (host 'a');\r\n",
                "[server:s]\nhost = b\n");
    EXPECT_EQ(r.out,
              "CREATE /* OPTIONS (host 'c') */ SERVER s -- OPTIONS (host 'd')\n"
              "  FOREIGN DATA WRAPPER w OPTIONS (host 'b');\r\n");
}

TEST(FdwRewrite, NotInsideStringsCommentsDollarQuotesOrCopyData) {
    const std::string in =
        "-- CREATE SERVER prod FOREIGN DATA WRAPPER w OPTIONS (host 'prod');\n"
        "/* CREATE SERVER prod2 FOREIGN DATA WRAPPER w; */\n"
        "SELECT 'CREATE SERVER prod3 FOREIGN DATA WRAPPER w;';\n"
        "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$\n"
        "BEGIN EXECUTE 'CREATE SERVER prod4 FOREIGN DATA WRAPPER w'; END $f$;\n"
        "DO $$ BEGIN CREATE USER MAPPING FOR PUBLIC SERVER prod5; END $$;\n"
        "COPY t (a) FROM stdin;\n"
        "CREATE SERVER prod6 FOREIGN DATA WRAPPER w;\n"
        "\\.\n"
        "CREATE TABLE \"CREATE SERVER prod7\" (a int);\n";
    Outcome r = run(in, "");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.err, "");
}

TEST(FdwRewrite, UnmappedServersExit3AndWriteNothing) {
    Outcome r = run("SELECT 1;\nCREATE SERVER a FOREIGN DATA WRAPPER w;\nCREATE SERVER b FOREIGN DATA WRAPPER w;\n"
                "CREATE SERVER mapped FOREIGN DATA WRAPPER w;\nCREATE USER MAPPING FOR PUBLIC SERVER c;\n"
                "CREATE USER MAPPING FOR PUBLIC SERVER a;\n",
                "[server:mapped]\n");
    EXPECT_EQ(r.rc, EXIT_UNMAPPED);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "fdw-rewrite: error: server \"a\" is not in the map\n"
              "fdw-rewrite: error: server \"b\" is not in the map\n"
              "fdw-rewrite: error: server \"c\" is not in the map\n"
              "fdw-rewrite: hint: add a [server:NAME] section for each (an empty section keeps its options), or use "
              "--keep-unmapped\n");
}

TEST(FdwRewrite, KeepUnmapped) {
    const std::string in = "CREATE SERVER a FOREIGN DATA WRAPPER w OPTIONS (host 'prod');\n";
    RewriteConfig cfg;
    cfg.keep_unmapped = true;
    Outcome r = run(in, "", cfg);
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.err,
              "fdw-rewrite: warning: server \"a\" is not in the map; passed through unchanged (--keep-unmapped)\n");
}

// Issue 18: a user mapping with options that no section covers is refused
// like an unmapped server: every one listed once, servers first, nothing out.
TEST(FdwRewrite, UncoveredUserMappingsExit3AndWriteNothing) {
    Outcome r = run("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'prod');\n"
                    "CREATE USER MAPPING FOR alice SERVER s OPTIONS (\"user\" 'alice', password 'prod-pw');\n"
                    "CREATE USER MAPPING FOR \"Bob\" SERVER s OPTIONS (sslkey '/prod/bob.key');\n"
                    "CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (password 'cu-pw');\n"
                    "ALTER USER MAPPING FOR alice SERVER s OPTIONS (SET password 'prod-pw2');\n"
                    "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (\"user\" 'guest');\n"
                    "CREATE USER MAPPING FOR carol SERVER s OPTIONS (password 'covered');\n"
                    "CREATE USER MAPPING FOR PUBLIC SERVER other OPTIONS (password 'o-pw');\n",
                    "[server:s]\nhost = staging\n[user-mapping:carol@s]\n");
    EXPECT_EQ(r.rc, EXIT_UNMAPPED);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "fdw-rewrite: error: server \"other\" is not in the map\n"
              "fdw-rewrite: error: user mapping for \"alice\" on server \"s\" is not in the map\n"
              "fdw-rewrite: error: user mapping for \"Bob\" on server \"s\" is not in the map\n"
              "fdw-rewrite: error: user mapping for CURRENT_USER on server \"s\" is not in the map\n"
              "fdw-rewrite: error: user mapping for PUBLIC on server \"s\" is not in the map\n"
              "fdw-rewrite: error: user mapping for PUBLIC on server \"other\" is not in the map\n"
              "fdw-rewrite: hint: add a [server:NAME] section for each (an empty section keeps its options)\n"
              "fdw-rewrite: hint: add a [user-mapping:ROLE@SERVER], [user-mapping:public@SERVER] or [user-mapping:*@SERVER] "
              "section for each user mapping (an empty section keeps its options), or use --keep-unmapped\n");
    EXPECT_EQ(r.err.find("pw"), std::string::npos);
}

TEST(FdwRewrite, UncoveredUserMappingAloneHasItsOwnHint) {
    Outcome r = run("CREATE SERVER s FOREIGN DATA WRAPPER w;\n"
                    "CREATE USER MAPPING FOR alice SERVER s OPTIONS (password 'pw');\n",
                    "[server:s]\n");
    EXPECT_EQ(r.rc, EXIT_UNMAPPED);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "fdw-rewrite: error: user mapping for \"alice\" on server \"s\" is not in the map\n"
              "fdw-rewrite: hint: add a [user-mapping:ROLE@SERVER], [user-mapping:public@SERVER] or [user-mapping:*@SERVER] "
              "section for each user mapping (an empty section keeps its options), or use --keep-unmapped\n");
}

TEST(FdwRewrite, KeepUnmappedUserMappings) {
    const std::string in = "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\n"
                           "CREATE USER MAPPING FOR alice SERVER s OPTIONS (password 'pw');\n"
                           "CREATE USER MAPPING FOR PUBLIC SERVER t OPTIONS (\"user\" 'u');\n";
    RewriteConfig cfg;
    cfg.keep_unmapped = true;
    Outcome r = run(in, "[server:s]\n", cfg);
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.err,
              "fdw-rewrite: warning: server \"t\" is not in the map; passed through unchanged (--keep-unmapped)\n"
              "fdw-rewrite: warning: user mapping for \"alice\" on server \"s\" is not in the map; passed through "
              "unchanged with its options (--keep-unmapped)\n"
              "fdw-rewrite: warning: user mapping for PUBLIC on server \"t\" is not in the map; passed through "
              "unchanged with its options (--keep-unmapped)\n");
}

// No options, no secret: passes with a notice; so do an ALTER that only drops
// options and a DROP USER MAPPING (silently).
TEST(FdwRewrite, UserMappingWithoutOptionsPassesWithANotice) {
    const std::string in = "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\n"
                           "CREATE USER MAPPING FOR PUBLIC SERVER s;\n"
                           "ALTER USER MAPPING FOR alice SERVER s OPTIONS (DROP password);\n"
                           "DROP USER MAPPING IF EXISTS FOR bob SERVER s;\n";
    Outcome r = run(in, "[server:s]\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.err,
              "fdw-rewrite: info: user mapping for PUBLIC on server \"s\" (CREATE USER MAPPING at input line 2): "
              "not in the map; it sets no options, passed through unchanged\n"
              "fdw-rewrite: info: user mapping for \"alice\" on server \"s\" (ALTER USER MAPPING at input line 3): "
              "not in the map; it sets no options, passed through unchanged\n");
}

// An empty section is the map saying "keep": public@ covers PUBLIC, *@ all.
TEST(FdwRewrite, EmptyUserMappingSectionsKeepOptions) {
    const std::string in = "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\n"
                           "CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS (\"user\" 'u');\n"
                           "CREATE SERVER t FOREIGN DATA WRAPPER postgres_fdw;\n"
                           "CREATE USER MAPPING FOR alice SERVER t OPTIONS (password 'pw');\n";
    Outcome r = run(in, "[server:s]\n[user-mapping:PUBLIC@s]\n[server:t]\n[user-mapping:*@t]\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.err, "");
}

// Map keys are checked against postgres_fdw's options for the object, with
// the map file and line, before anything is written; only on servers the
// input creates with postgres_fdw.
TEST(FdwRewrite, KeysPostgresFdwRejectsAreErrorsWithFileAndLine) {
    const std::string in = "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'prod');\n"
                           "CREATE USER MAPPING FOR alice SERVER s OPTIONS (password 'pw');\n";
    Outcome r = run(in,
                    "[server:s]\nhots = staging\npassword = x\nfetch_size = 100\nsslcert =\n"
                    "[user-mapping:*@s]\nrole = bob\ndrop = false\npasswrd = y\nhost = h\n"
                    "[user-mapping:alice@s]\nuser = a\npassword = b\nsslpassword = c\nsslkey = d\n"
                    "sslcert = e\npassword_required = true\n");
    EXPECT_EQ(r.rc, EXIT_FAILURE_);
    EXPECT_EQ(r.out, "");
    const std::string um = "user, password, sslpassword, password_required, sslcert, sslkey";
    std::string expected =
        "fdw-rewrite: error: t.map:2: \"hots\" is not an option postgres_fdw accepts on a foreign server (section "
        "[server:s]; server \"s\" uses postgres_fdw)\n"
        "fdw-rewrite: error: t.map:3: \"password\" is not an option postgres_fdw accepts on a foreign server "
        "(section [server:s]; server \"s\" uses postgres_fdw)\n"
        "fdw-rewrite: error: t.map:9: \"passwrd\" is not an option postgres_fdw accepts on a user mapping (section "
        "[user-mapping:*@s]; server \"s\" uses postgres_fdw)\n"
        "fdw-rewrite: error: t.map:10: \"host\" is not an option postgres_fdw accepts on a user mapping (section "
        "[user-mapping:*@s]; server \"s\" uses postgres_fdw)\n";
    ASSERT_EQ(r.err.substr(0, expected.size()), expected) << r.err;
    std::string rest = r.err.substr(expected.size());
    EXPECT_EQ(rest.rfind("fdw-rewrite: hint: postgres_fdw accepts on a foreign server: ", 0), 0u) << rest;
    EXPECT_NE(rest.find(", host, "), std::string::npos);
    EXPECT_NE(rest.find("\nfdw-rewrite: hint: postgres_fdw accepts on a user mapping: " + um + "\n"), std::string::npos) << rest;
    EXPECT_EQ(std::count(rest.begin(), rest.end(), '\n'), 2);
}

TEST(FdwRewrite, KeysOfOtherWrappersAndAbsentServersAreNotChecked) {
    const std::string in = "CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;\n"
                           "CREATE USER MAPPING FOR PUBLIC SERVER files OPTIONS (anything 'x');\n"
                           "ALTER SERVER altered OPTIONS (SET host 'prod');\n";
    Outcome r = run(in,
                    "[server:files]\nfilename = /x\n[user-mapping:*@files]\nanything = y\n"
                    "[server:altered]\nhots = x\n[server:absent]\npasswrd = x\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.err, "fdw-rewrite: warning: map section [server:absent] (t.map:7) matches nothing in the input\n");
}

// Both: the map errors decide the exit status (1); the unmapped are listed too.
TEST(FdwRewrite, BadKeyAndUnmappedTogetherExit1) {
    Outcome r = run("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;\n"
                    "CREATE SERVER u FOREIGN DATA WRAPPER postgres_fdw;\n",
                    "[server:s]\nprot = 1\n");
    EXPECT_EQ(r.rc, EXIT_FAILURE_);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("fdw-rewrite: error: t.map:2: \"prot\" is not an option"), std::string::npos);
    EXPECT_NE(r.err.find("fdw-rewrite: error: server \"u\" is not in the map\n"), std::string::npos);
}

TEST(FdwRewrite, UnusedSectionsWarn) {
    Outcome r = run("CREATE SERVER a FOREIGN DATA WRAPPER w;\n",
                "[server:a]\n\n[server:typo]\nhost = x\n[user-mapping:bob@a]\nuser = x\n");
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.err,
              "fdw-rewrite: warning: map section [server:typo] (t.map:3) matches nothing in the input\n"
              "fdw-rewrite: warning: map section [user-mapping:bob@a] (t.map:5) matches nothing in the input\n");
}

TEST(FdwRewrite, CheckReportsWithoutSecretsOrSql) {
    RewriteConfig cfg;
    cfg.check = true;
    ::setenv("FDWREWRITE_TEST_PW", "env-secret", 1);
    Outcome r = run(kDump,
                "[server:archive_server]\nhost = 127.0.0.1\n[user-mapping:*@archive_server]\n"
                "password = env:FDWREWRITE_TEST_PW\nuser = reader\n",
                cfg);
    EXPECT_EQ(r.rc, EXIT_OK);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "fdw-rewrite: info: server \"archive_server\" (CREATE SERVER at input line 5): rewritten by "
              "[server:archive_server] (t.map:1)\n"
              "fdw-rewrite: info:   dbname 'x' (unchanged)\n"
              "fdw-rewrite: info:   host '/tmp/prod' -> '127.0.0.1'\n"
              "fdw-rewrite: info:   port '5432' (unchanged)\n"
              "fdw-rewrite: info: user mapping for \"postgres\" on server \"archive_server\" (CREATE USER MAPPING "
              "at input line 14): rewritten by [user-mapping:*@archive_server] (t.map:3)\n"
              "fdw-rewrite: info:   password '****' -> '****'\n"
              "fdw-rewrite: info:   \"user\" 'postgres' -> 'reader'\n"
              "fdw-rewrite: info: found 1 server and 1 user mapping; every server and user mapping is in the map\n");
}

TEST(FdwRewrite, CheckStillFailsOnUnmapped) {
    RewriteConfig cfg;
    cfg.check = true;
    Outcome r = run(kDump, "", cfg);
    EXPECT_EQ(r.rc, EXIT_UNMAPPED);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("fdw-rewrite: error: server \"archive_server\" is not in the map\n"), std::string::npos);
    EXPECT_EQ(r.err.find("'pw'"), std::string::npos);
}

TEST(FdwRewrite, UnparsableFdwStatementIsAnError) {
    Outcome r = run("SELECT 1;\nCREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host);\n", "[server:s]\n");
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "fdw-rewrite: error: could not parse the CREATE SERVER statement at input line 2: option \"host\" has "
              "no value\n"
              "fdw-rewrite: hint: fdw-rewrite will not pass on a foreign server or user mapping it cannot read\n");
}

TEST(FdwRewrite, LongStatementsAndSpilledOutput) {
    std::string body(300000, 'x');
    std::string in = "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '" + body + "' $$;\n";
    in += "CREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'a');\n";
    for (int i = 0; i < 2000; ++i) in += "COMMENT ON TABLE t IS 'row " + std::to_string(i) + "';\n";
    Outcome r = run(in, "[server:s]\nhost = b\n", {}, 1000);
    EXPECT_EQ(r.rc, EXIT_OK);
    std::string expected = in;
    expected.replace(expected.find("host 'a'"), 8, "host 'b'");
    EXPECT_EQ(r.out, expected);
}

TEST(FdwRewrite, OutputSpool) {
    FILE* f = std::tmpfile();
    {
        OutputSpool sp(1500);
        for (int i = 0; i < 10; ++i) sp.write(std::string(1000, static_cast<char>('a' + i)));
        EXPECT_TRUE(sp.spilled());
        EXPECT_EQ(sp.bytes(), 10000u);
        sp.commit(fileno(f));
    }
    std::string got = read_fd(fileno(f));
    std::fclose(f);
    ASSERT_EQ(got.size(), 10000u);
    EXPECT_EQ(got.substr(0, 3), "aaa");
    EXPECT_EQ(got.substr(9997), "jjj");
}

// Property: input without FDW statements comes out byte for byte (pagila's
// schema and data, as pg_dump wrote them), with an empty map.
TEST(FdwRewrite, PagilaByteIdentical) {
    const char* env = std::getenv("PAGILA_DIR");
    std::string dir = env && *env ? env : "tests/fixtures/pagila";
    ASSERT_TRUE(std::ifstream(dir + "/pagila-schema.sql")) << "pagila fixture not found in " << dir;
    for (const char* name : {"pagila-schema.sql", "pagila-data.sql"}) {
        std::ifstream f(dir + "/" + name, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        Outcome r = run(ss.str(), "", {}, 256 * 1024);
        EXPECT_EQ(r.rc, EXIT_OK) << name;
        EXPECT_EQ(r.err, "") << name;
        EXPECT_TRUE(r.out == ss.str()) << name << " is not byte-identical";
    }
}

TEST(FdwRewrite, HoldPredicate) {
    auto toks = [](const std::string& s) { return sql_split(s, 1 << 20)[0].tokens; };
    EXPECT_TRUE(FdwRewriter::wants_whole({}));
    EXPECT_TRUE(FdwRewriter::wants_whole(toks("CREATE")));
    EXPECT_TRUE(FdwRewriter::wants_whole(toks("CREATE USER MAPPING FOR a SERVER s")));
    EXPECT_TRUE(FdwRewriter::wants_whole(toks("alter server s options")));
    EXPECT_FALSE(FdwRewriter::wants_whole(toks("CREATE TABLE t")));
    EXPECT_FALSE(FdwRewriter::wants_whole(toks("CREATE USER bob")));
    EXPECT_FALSE(FdwRewriter::wants_whole(toks("INSERT INTO")));
}
