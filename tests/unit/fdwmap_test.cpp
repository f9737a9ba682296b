// Unit tests for lib/fdwmap: the map file format, FILE:LINE errors, secrets
// and the permission checks.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "fdwmap.h"
#include "log.h"

using namespace fdwcopy;

namespace {

// A private temporary directory, removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/fdwmap_test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string write(const std::string& name, const std::string& text, mode_t mode) const {
        std::string p = path + "/" + name;
        std::ofstream(p, std::ios::binary) << text;
        ::chmod(p.c_str(), mode);
        return p;
    }
};

std::string error_of(const std::string& text, const std::string& base = ".") {
    try {
        FdwMap::parse(text, "m.map", base);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

const char* const kIssueMap =
    "# servers: any postgres_fdw (or other wrapper) option; a key with an empty\n"
    "# value removes that option\n"
    "[server:archive_server]\n"
    "host = 127.0.0.1\n"
    "port = 6543\n"
    "dbname = archive_db\n"
    "\n"
    "[server:reporting_srv]\n"
    "host = reporting.staging.internal\n"
    "sslmode =\n"
    "\n"
    "# user mappings: ROLE@SERVER, \"public@SERVER\" for PUBLIC, \"*@SERVER\" for all\n"
    "[user-mapping:*@archive_server]\n"
    "user = archive_reader\n"
    "password = env:ARCHIVE_PASSWORD\n"
    "\n"
    "[user-mapping:alice@reporting_srv]\n"
    "role = bob\n"
    "password = file:reporting\n";

}  // namespace

TEST(FdwMap, ParsesTheIssueExample) {
    TempDir d;
    d.write("reporting", "s3cret-from-file\n", 0600);
    ::setenv("ARCHIVE_PASSWORD", "s3cret-from-env", 1);
    FdwMap m = FdwMap::parse(kIssueMap, "staging.map", d.path);
    ASSERT_EQ(m.sections().size(), 4u);

    const MapSection* a = m.server("archive_server");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->line, 3);
    EXPECT_EQ(m.where(*a), "staging.map:3");
    ASSERT_EQ(a->options.size(), 3u);
    EXPECT_EQ(a->options[1].name, "port");
    EXPECT_EQ(a->options[1].value, "6543");
    EXPECT_EQ(a->options[1].line, 5);

    const MapSection* r = m.server("reporting_srv");
    ASSERT_NE(r, nullptr);
    ASSERT_NE(r->option("sslmode"), nullptr);
    EXPECT_TRUE(r->option("sslmode")->remove);

    const MapSection* any = m.user_mapping(MapSection::AnyRole, "", "archive_server");
    ASSERT_NE(any, nullptr);
    EXPECT_EQ(any->option("password")->value, "s3cret-from-env");
    EXPECT_TRUE(any->option("password")->secret);
    EXPECT_FALSE(any->option("user")->secret);

    const MapSection* alice = m.user_mapping(MapSection::NamedRole, "alice", "reporting_srv");
    ASSERT_NE(alice, nullptr);
    EXPECT_EQ(*alice->new_role, "bob");
    EXPECT_EQ(alice->option("password")->value, "s3cret-from-file");  // trailing newline dropped
    EXPECT_EQ(alice->option("role"), nullptr);
    EXPECT_EQ(m.user_mapping(MapSection::NamedRole, "bob", "reporting_srv"), nullptr);
    EXPECT_EQ(m.server("Archive_server"), nullptr);  // names are exact, as in the catalog
}

TEST(FdwMap, RoleForms) {
    FdwMap m = FdwMap::parse(
        "[user-mapping:PUBLIC@s]\nuser = p\n[user-mapping:me@example.com@s]\ndrop = yes\n"
        "[ user-mapping:*@s ]\nuser = any\n",
        "m.map");
    ASSERT_NE(m.user_mapping(MapSection::PublicRole, "", "s"), nullptr);
    const MapSection* mail = m.user_mapping(MapSection::NamedRole, "me@example.com", "s");
    ASSERT_NE(mail, nullptr);
    EXPECT_TRUE(*mail->drop);
    ASSERT_NE(m.user_mapping(MapSection::AnyRole, "", "s"), nullptr);
}

TEST(FdwMap, CommentsCrLfAndBlankLines) {
    FdwMap m = FdwMap::parse("\r\n# c\r\n[server:s]  # trailing\r\n\thost\t=  h  # c\r\nport=1", "m.map");
    const MapSection* s = m.server("s");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->line, 3);
    EXPECT_EQ(s->option("host")->value, "h");
    EXPECT_EQ(s->option("host")->line, 4);
    EXPECT_EQ(s->option("port")->line, 5);
}

TEST(FdwMap, EmptySectionKeepsServer) {
    FdwMap m = FdwMap::parse("[server:s]\n", "m.map");
    ASSERT_NE(m.server("s"), nullptr);
    EXPECT_TRUE(m.server("s")->options.empty());
}

TEST(FdwMap, ErrorsNameFileAndLine) {
    EXPECT_EQ(error_of("[server:s]\nhost = h\nthis is not valid\n"),
              "m.map:3: invalid line: expected \"[section]\" or \"name = value\"");
    EXPECT_EQ(error_of("# c\n[servr:s]\n"),
              "m.map:2: unknown section [servr:s]: expected [server:NAME] or [user-mapping:ROLE@SERVER]");
    EXPECT_EQ(error_of("\nhost = h\n[server:s]\n"),
              "m.map:2: option \"host\" is outside any section; put it under [server:NAME] or "
              "[user-mapping:ROLE@SERVER]");
    EXPECT_EQ(error_of("[server:s]\nhost = a\n\nhost = b\n"),
              "m.map:4: duplicate option \"host\" in section [server:s] (first at line 2)");
    EXPECT_EQ(error_of("[server:s]\n[server:t]\n[server:s]\n"),
              "m.map:3: duplicate section [server:s] (first at line 1)");
    EXPECT_EQ(error_of("[user-mapping:alice]\n"),
              "m.map:1: section [user-mapping:alice] must be [user-mapping:ROLE@SERVER] (ROLE may be public or *)");
    EXPECT_EQ(error_of("[user-mapping:a@s]\ndrop = maybe\n"), "m.map:2: \"drop\" must be true or false");
    EXPECT_EQ(error_of("[user-mapping:a@s]\nrole =\n"), "m.map:2: \"role\" needs a role name");
    EXPECT_EQ(error_of("[server:]\n"), "m.map:1: section [server:] needs a server name");
    EXPECT_EQ(error_of("[server:s]\n = v\n"), "m.map:2: option name missing before \"=\"");
}

TEST(FdwMap, InvalidLineDoesNotEchoItsText) {
    // A line without "=" may be a mistyped secret: the message names the line only.
    std::string msg = error_of("[user-mapping:a@s]\npassword hunter2\n");
    EXPECT_EQ(msg.find("hunter2"), std::string::npos);
    EXPECT_EQ(msg.rfind("m.map:2:", 0), 0u);
}

TEST(FdwMap, EnvSecrets) {
    ::unsetenv("FDWMAP_TEST_UNSET");
    EXPECT_EQ(error_of("[user-mapping:*@s]\npassword = env:FDWMAP_TEST_UNSET\n"),
              "m.map:2: environment variable \"FDWMAP_TEST_UNSET\" for option \"password\" is not set");
    ::setenv("FDWMAP_TEST_PW", "pa ss#word", 1);
    FdwMap m = FdwMap::parse("[user-mapping:*@s]\npassword = env:FDWMAP_TEST_PW\n", "m.map");
    EXPECT_EQ(m.sections()[0].option("password")->value, "pa ss#word");
}

TEST(FdwMap, FileSecrets) {
    TempDir d;
    d.write("ok", "from-file\r\n", 0600);
    d.write("open", "world-readable-secret\n", 0644);
    FdwMap m = FdwMap::parse("[server:s]\npassword = file:" + d.path + "/ok\n", "m.map");
    EXPECT_EQ(m.sections()[0].option("password")->value, "from-file");

    std::string msg = error_of("[server:s]\n\npassword = file:open\n", d.path);
    EXPECT_EQ(msg, "m.map:3: secret file \"" + d.path +
                       "/open\" has group or world access; permissions should be u=rw (0600) or less");
    EXPECT_EQ(msg.find("world-readable-secret"), std::string::npos);

    msg = error_of("[server:s]\npassword = file:missing\n", d.path);
    EXPECT_EQ(msg, "m.map:2: could not read secret file \"" + d.path + "/missing\": No such file or directory");
}

TEST(FdwMap, LoadChecksPermissions) {
    TempDir d;
    std::string open = d.write("open.map", "[server:s]\n", 0644);
    try {
        FdwMap::load(open);
        FAIL() << "a 0644 map was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "map file \"" + open +
                                             "\" has group or world access; permissions should be u=rw (0600) or less");
        EXPECT_EQ(e.code, 1);
    }
    std::string group = d.write("group.map", "[server:s]\n", 0640);
    EXPECT_THROW(FdwMap::load(group), Error);

    // Relative file: paths are relative to the map's directory.
    d.write("pw", "x\n", 0600);
    std::string ok = d.write("ok.map", "[server:s]\npassword = file:pw\n", 0600);
    FdwMap m = FdwMap::load(ok);
    EXPECT_EQ(m.file(), ok);
    EXPECT_EQ(m.server("s")->option("password")->value, "x");

    try {
        FdwMap::load(d.path + "/none.map");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "could not open map file \"" + d.path + "/none.map\": No such file or directory");
    }
}

TEST(FdwMap, SecretOptionNames) {
    EXPECT_TRUE(is_secret_option("password"));
    EXPECT_TRUE(is_secret_option("sslpassword"));
    EXPECT_TRUE(is_secret_option("PassPhrase"));
    EXPECT_FALSE(is_secret_option("user"));
    EXPECT_FALSE(is_secret_option("sslkey"));
}

// postgres_fdw's options per object (PostgreSQL 15, contrib/postgres_fdw/option.c;
// docs: postgres_fdw, "FDW Options of postgres_fdw"), libpq's part from PQconndefaults.
TEST(FdwMap, PostgresFdwOptionsPerObject) {
    const std::vector<std::string> um = {"user",     "password", "sslpassword", "password_required",
                                         "sslcert", "sslkey"};
    EXPECT_EQ(postgres_fdw_options(MapSection::UserMapping), um);
    for (const char* o : {"host", "hostaddr", "port", "dbname", "service", "passfile", "options", "application_name",
                          "connect_timeout", "keepalives", "sslmode", "sslrootcert", "sslcert", "sslkey",
                          "target_session_attrs", "use_remote_estimate", "fdw_startup_cost", "fdw_tuple_cost",
                          "extensions", "updatable", "truncatable", "fetch_size", "batch_size", "async_capable",
                          "parallel_commit", "keep_connections"})
        EXPECT_TRUE(postgres_fdw_accepts(MapSection::Server, o)) << o;
    // user and the secrets belong to user mappings; the debug option, the ones
    // postgres_fdw sets itself, and table/column options are no server options.
    for (const char* o : {"user", "password", "sslpassword", "password_required", "replication", "client_encoding",
                          "fallback_application_name", "table_name", "schema_name", "column_name", "passwrd",
                          "Host"})
        EXPECT_FALSE(postgres_fdw_accepts(MapSection::Server, o)) << o;
    for (const char* o : {"host", "dbname", "passwrd", "fetch_size", "role", "drop"})
        EXPECT_FALSE(postgres_fdw_accepts(MapSection::UserMapping, o)) << o;
}

TEST(FdwMap, PostgresFdwOptionErrorsNameFileAndLine) {
    FdwMap m = FdwMap::parse("[server:s]\nhost = h\nhots = h\n[user-mapping:alice@s]\nrole = bob\npasswrd = x\n"
                             "password =\n[server:t]\nbogus = 1\n",
                             "m.map");
    std::vector<MapSection::Kind> kinds;
    EXPECT_EQ(m.postgres_fdw_option_errors("s", &kinds),
              (std::vector<std::string>{
                  "m.map:3: \"hots\" is not an option postgres_fdw accepts on a foreign server (section [server:s]; "
                  "server \"s\" uses postgres_fdw)",
                  "m.map:6: \"passwrd\" is not an option postgres_fdw accepts on a user mapping (section "
                  "[user-mapping:alice@s]; server \"s\" uses postgres_fdw)"}));
    EXPECT_EQ(kinds, (std::vector<MapSection::Kind>{MapSection::Server, MapSection::UserMapping}));
    EXPECT_EQ(m.postgres_fdw_option_errors("t").size(), 1u);
    EXPECT_TRUE(m.postgres_fdw_option_errors("none").empty());
}
