// Unit tests for lib/sqllex: statement splitting on adversarial input, chunk
// independence, bounded parts, and byte identity over the pagila dump.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "log.h"
#include "sqllex.h"

using namespace fdwcopy;

namespace {

std::string concat(const std::vector<SqlPiece>& ps) {
    std::string s;
    for (const auto& p : ps) s += p.text;
    return s;
}

std::vector<SqlPiece> statements(const std::vector<SqlPiece>& ps) {
    std::vector<SqlPiece> out;
    for (const auto& p : ps)
        if (p.kind == SqlPiece::Statement) out.push_back(p);
    return out;
}

std::string first_word(const SqlPiece& p) { return p.tokens.empty() ? "" : p.tokens.front().value; }

// Splitting must not depend on where the input chunks end.
void expect_chunk_independent(const std::string& text) {
    auto ref = sql_split(text, 1 << 20);
    EXPECT_EQ(concat(ref), text);
    for (size_t chunk : {1, 2, 3, 5, 7, 13}) {
        auto got = sql_split(text, chunk);
        ASSERT_EQ(got.size(), ref.size()) << "chunk " << chunk << " for: " << text;
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].kind, ref[i].kind) << "chunk " << chunk;
            EXPECT_EQ(got[i].text, ref[i].text) << "chunk " << chunk;
            EXPECT_EQ(got[i].line, ref[i].line) << "chunk " << chunk;
            EXPECT_EQ(got[i].tokens.size(), ref[i].tokens.size()) << "chunk " << chunk;
        }
    }
}

const char* const kAdversarial[] = {
    "",
    "SELECT 1",
    "SELECT 'a;''b;' AS x; SELECT 2;",
    "SELECT E'it\\'s; \\\\'; SELECT 'x\\';",
    "SELECT 1 AS \"a;\"\"b\"; SELECT 2;",
    "-- CREATE SERVER s; \nSELECT 1; /* a /* nested ; */ still ; */ SELECT 2;",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE SERVER s FOREIGN DATA WRAPPER w "
    "OPTIONS (host 'prod'); $$; SELECT $1, a$$b, $tag$ $$ ; $tag$;",
    "CREATE SERVER \"s\u00e9rveur\" FOREIGN DATA WRAPPER w OPTIONS (host '\u00fcber;');\r\nSELECT 1;\r\n",
    "\\restrict abc\nSELECT 1;\n\\connect - postgres\nSELECT 2;\n\\unrestrict abc\n",
    "COPY t (a) FROM stdin;\nx;y\tCREATE SERVER s;\n\\.x\n\\.\nSELECT 1;\n",
    "COPY t FROM stdin;\r\na\r\n\\.\r\nSELECT 1;\r\n",
    "\\copy t from stdin\n1;2\n\\.\nSELECT 3;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;",
    "CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1;",
    "SELECT 'unterminated; string",
    "SELECT 1; -- trailing comment without newline",
    "SELECT 1 /* unterminated comment",
    "SELECT $a$ unterminated dollar",
    "COPY t FROM stdin;\n1\n2",
    "x-- c\n;--\r;/**/;",
};

}  // namespace

TEST(SqlLex, EmptyInput) {
    EXPECT_TRUE(sql_split("").empty());
    auto ps = sql_split("  \n-- only a comment\n");
    ASSERT_EQ(ps.size(), 1u);
    EXPECT_EQ(ps[0].kind, SqlPiece::Space);
}

TEST(SqlLex, StatementAtEndWithoutSemicolon) {
    auto ps = sql_split("SELECT 1;\nSELECT 2");
    auto st = statements(ps);
    ASSERT_EQ(st.size(), 2u);
    EXPECT_TRUE(st[0].terminated);
    EXPECT_FALSE(st[1].terminated);
    EXPECT_EQ(st[1].text, "\nSELECT 2");
    EXPECT_EQ(st[1].line, 1u);
    ASSERT_EQ(st[1].tokens.size(), 2u);
    EXPECT_EQ(st[1].tokens[1].value, "2");
}

TEST(SqlLex, StringsWithDoubledQuotesAndEscapes) {
    auto st = statements(sql_split("SELECT 'a;''b;' AS x; SELECT E'it\\'s; \\x41\\n' y;"));
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0].tokens[1].kind, SqlToken::String);
    EXPECT_EQ(st[0].tokens[1].value, "a;'b;");
    EXPECT_EQ(st[1].tokens[1].kind, SqlToken::String);
    EXPECT_EQ(st[1].tokens[1].value, "it's; A\n");
    // Without standard_conforming_strings on, a backslash in '...' does not escape.
    auto st2 = statements(sql_split("SELECT 'x\\'; SELECT 2;"));
    ASSERT_EQ(st2.size(), 2u);
    EXPECT_EQ(st2[0].tokens[1].value, "x\\");
}

TEST(SqlLex, StandardConformingStringsOff) {
    SqlLexer lex;
    lex.set_standard_conforming_strings(false);
    lex.feed(std::string("SELECT 'x\\'; y'; SELECT 2;"));
    lex.finish();
    SqlPiece p;
    ASSERT_TRUE(lex.next(p));
    EXPECT_EQ(p.text, "SELECT 'x\\'; y';");
    EXPECT_EQ(p.tokens[1].value, "x'; y");
}

TEST(SqlLex, QuotedIdentifiers) {
    auto st = statements(sql_split("CREATE SERVER \"my \"\"srv\"\";\" FOREIGN DATA WRAPPER w;"));
    ASSERT_EQ(st.size(), 1u);
    EXPECT_EQ(st[0].tokens[2].kind, SqlToken::QuotedIdent);
    EXPECT_EQ(st[0].tokens[2].value, "my \"srv\";");
}

TEST(SqlLex, Comments) {
    auto st = statements(sql_split("-- CREATE SERVER a;\n/* x /* CREATE SERVER b; */ ; */ SELECT 1; SELECT 2;"));
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(first_word(st[0]), "select");
    EXPECT_EQ(st[0].tokens.size(), 3u);
    // psql ends a -- comment at \r as well as \n.
    auto st2 = statements(sql_split("-- c\rSELECT 1;"));
    ASSERT_EQ(st2.size(), 1u);
    EXPECT_EQ(first_word(st2[0]), "select");
}

TEST(SqlLex, DollarQuotes) {
    auto st = statements(sql_split(
        "CREATE FUNCTION f() RETURNS void AS $$ CREATE SERVER s OPTIONS (host 'x'); $$ LANGUAGE sql;"
        "DO $body$ BEGIN PERFORM $$;$$; END $body$; SELECT $1, a$$b;"));
    ASSERT_EQ(st.size(), 3u);
    EXPECT_EQ(st[0].tokens[8].kind, SqlToken::String);
    EXPECT_EQ(st[0].tokens[8].value, " CREATE SERVER s OPTIONS (host 'x'); ");
    EXPECT_EQ(st[1].tokens[1].value, " BEGIN PERFORM $$;$$; END ");
    EXPECT_EQ(st[2].tokens[1].kind, SqlToken::Param);
    EXPECT_EQ(st[2].tokens[3].kind, SqlToken::Word);
    EXPECT_EQ(st[2].tokens[3].value, "a$$b");
}

TEST(SqlLex, UnicodeNames) {
    auto st = statements(sql_split("CREATE SERVER S\u00e9rveur FOREIGN DATA WRAPPER w; SELECT \"\u6570\u636e\";"));
    ASSERT_EQ(st.size(), 2u);
    // Only ASCII letters fold, as in PostgreSQL with UTF-8.
    EXPECT_EQ(st[0].tokens[2].value, "s\u00e9rveur");
    EXPECT_EQ(st[1].tokens[1].value, "\u6570\u636e");
}

TEST(SqlLex, CrLfAndLineNumbers) {
    std::string in = "SELECT 1;\r\n\r\nSELECT\r\n 2;\r\n";
    auto ps = sql_split(in);
    EXPECT_EQ(concat(ps), in);
    auto st = statements(ps);
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0].line, 1u);
    EXPECT_EQ(st[1].line, 1u);  // starts right after the ';' of line 1
    EXPECT_EQ(st[1].text, "\r\n\r\nSELECT\r\n 2;");
    EXPECT_EQ(ps.back().kind, SqlPiece::Space);
    EXPECT_EQ(ps.back().line, 4u);
}

TEST(SqlLex, MetaCommands) {
    auto ps = sql_split("\\restrict k3y\n\nSELECT 1;\n\\connect - bob\nSELECT 2 \\g\n");
    ASSERT_EQ(ps.size(), 6u);
    EXPECT_EQ(ps[0].kind, SqlPiece::Meta);
    EXPECT_EQ(ps[0].text, "\\restrict k3y\n");
    EXPECT_EQ(ps[1].kind, SqlPiece::Statement);
    EXPECT_EQ(ps[1].text, "\nSELECT 1;");
    EXPECT_EQ(ps[2].kind, SqlPiece::Space);
    EXPECT_EQ(ps[3].kind, SqlPiece::Meta);
    EXPECT_EQ(ps[3].line, 4u);
    EXPECT_EQ(ps[4].kind, SqlPiece::Statement);
    EXPECT_FALSE(ps[4].terminated);
    EXPECT_EQ(ps[5].text, "\\g\n");
}

TEST(SqlLex, CopyFromStdinPassesThrough) {
    std::string data = "1\tCREATE SERVER s FOREIGN DATA WRAPPER w OPTIONS (host 'x');\n2\t'\n\\.x\n \\.\n";
    std::string in = "COPY public.t (a, b) FROM stdin;\n" + data + "\\.\nSELECT 1;\n";
    auto ps = sql_split(in);
    EXPECT_EQ(concat(ps), in);
    ASSERT_GE(ps.size(), 3u);
    EXPECT_EQ(ps[0].kind, SqlPiece::Statement);
    EXPECT_EQ(ps[1].kind, SqlPiece::CopyData);
    EXPECT_EQ(ps[1].text, "\n" + data + "\\.\n");
    EXPECT_EQ(ps[2].kind, SqlPiece::Statement);
    EXPECT_EQ(first_word(ps[2]), "select");
    // COPY ... TO stdout and a "from stdin" inside parentheses are not data.
    auto st = statements(sql_split("COPY (SELECT 1 AS from stdin) TO stdout; SELECT 2;"));
    EXPECT_EQ(st.size(), 2u);
}

TEST(SqlLex, BeginAtomicBody) {
    auto st = statements(sql_split(
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n SELECT CASE WHEN true THEN 1 END;\n"
        " SELECT 2;\nEND;\nBEGIN; COMMIT;"));
    ASSERT_EQ(st.size(), 3u);
    EXPECT_EQ(first_word(st[1]), "begin");
}

TEST(SqlLex, ChunkIndependence) {
    for (const char* s : kAdversarial) expect_chunk_independent(s);
}

TEST(SqlLex, LongStatementsStreamInPartsUnlessHeld) {
    std::string big(200000, 'x');
    std::string in = "INSERT INTO t VALUES ('" + big + "');\nSELECT 1;\n";
    auto ps = sql_split(in, 4096, {}, 1024);
    EXPECT_EQ(concat(ps), in);
    size_t parts = 0;
    for (const auto& p : ps) {
        EXPECT_LE(p.text.size(), 4096u + 1024u);
        if (p.kind == SqlPiece::Statement && !p.whole()) ++parts;
    }
    EXPECT_GT(parts, 10u);
    EXPECT_TRUE(ps.front().begins);
    EXPECT_FALSE(ps.front().ends);

    auto held = sql_split(in, 4096, [](const std::vector<SqlToken>&) { return true; }, 1024);
    ASSERT_EQ(statements(held).size(), 2u);
    EXPECT_TRUE(held[0].whole());
    EXPECT_EQ(held[0].tokens.size(), 8u);

    SqlLexer lex([](const std::vector<SqlToken>&) { return true; }, 1024, 100000);
    lex.feed(in);
    SqlPiece p;
    EXPECT_THROW(lex.next(p), Error);
}

TEST(SqlLex, HoldIsAskedAgainAsTokensArrive) {
    // "CREATE" alone cannot tell: the statement is held until "TABLE" shows it
    // is not wanted whole, then streams.
    auto want_server = [](const std::vector<SqlToken>& t) {
        return t.size() < 2 || t[1].is_word("server");
    };
    std::string pad = "/*" + std::string(5000, '-') + "*/";
    std::string in = "CREATE " + pad + " TABLE t (a text DEFAULT '" + std::string(5000, 'y') + "');\n";
    auto ps = sql_split(in, 512, want_server, 1024);
    EXPECT_EQ(concat(ps), in);
    EXPECT_GT(ps.size(), 3u);
    EXPECT_GE(ps[0].text.size(), pad.size());  // held through the comment
    std::string srv = "CREATE " + pad + " SERVER s FOREIGN DATA WRAPPER w OPTIONS (host '" +
                      std::string(5000, 'h') + "');";
    auto held = sql_split(srv, 512, want_server, 1024);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_TRUE(held[0].whole());
    EXPECT_EQ(held[0].tokens.size(), 13u);
}

TEST(SqlLex, LongCopyDataInParts) {
    std::string in = "COPY t FROM stdin;\n";
    for (int i = 0; i < 20000; ++i) in += std::to_string(i) + "\tsome text; more\n";
    in += "\\.\n";
    auto ps = sql_split(in, 65536, {}, 4096);
    EXPECT_EQ(concat(ps), in);
    for (const auto& p : ps) EXPECT_LE(p.text.size(), 65536u + 4096u);
    EXPECT_EQ(statements(ps).size(), 1u);
}

// Every pagila file (pg_dump plain output, with COPY data) comes out byte for
// byte, whatever the chunking.
TEST(SqlLex, PagilaByteIdentical) {
    const char* env = std::getenv("PAGILA_DIR");
    std::string dir = env && *env ? env : "tests/fixtures/pagila";
    ASSERT_TRUE(std::ifstream(dir + "/pagila-schema.sql")) << "pagila fixture not found in " << dir;
    for (const char* name : {"pagila-schema.sql", "pagila-data.sql"}) {
        std::ifstream f(dir + "/" + name, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        const std::string text = ss.str();
        ASSERT_FALSE(text.empty());
        for (size_t chunk : {997, 65536}) {
            auto ps = sql_split(text, chunk);
            EXPECT_EQ(concat(ps), text) << name << " chunk " << chunk;
            for (const auto& p : ps) EXPECT_LE(p.text.size(), chunk + 65536u + 64u) << name;
        }
    }
}

// Tokens longer than the parts and the chunks (issue 13): scanned in linear
// time, handed out in parts of bounded size, byte for byte, whatever the kind.
TEST(SqlLex, LongTokensOfEveryKindStreamInBoundedParts) {
    const std::string long_run(300000, 'a');
    const std::string digits(300000, '7');
    for (const std::string& in :
         {long_run + "\n", "SELECT " + long_run + ", 1;\nSELECT 2;\n", digits + ";\n", "$1" + digits + ";\n",
          "$" + long_run + " x;\n", "\"" + long_run + "\";\n", "'" + long_run + "';\n",
          "SELECT $" + long_run + "$ body $" + long_run + "$;\n"}) {
        // A predicate that holds whatever it cannot decide, like fdw-rewrite's.
        auto hold = [](const std::vector<SqlToken>& t) { return t.empty() || t[0].is_word("create"); };
        auto ps = sql_split(in, 4096, hold, 1024);
        EXPECT_EQ(concat(ps), in);
        for (const auto& p : ps) EXPECT_LE(p.text.size(), 4096u + 1024u) << in.substr(0, 20);
    }
}

TEST(SqlLex, WordsAndPrefixesAcrossChunks) {
    for (const char* s : {"SELECT E'a\\'b', x'1f', n'z', B'01', e, abc$def, $1x, 1.5e3abc;",
                          "SELECT $q$ ; $q$, $a b $$ ; $$;", "COPY t FROM stdin;\nx\n\\.\n"})
        expect_chunk_independent(s);
    auto ps = sql_split("SELECT E'a\\';b';", 1);
    ASSERT_EQ(ps.size(), 1u);
    ASSERT_EQ(ps[0].tokens.size(), 3u);
    EXPECT_EQ(ps[0].tokens[1].value, "a';b");
}

// A word cut by a part boundary matches no keyword: its tail must not be
// taken for COPY ... FROM stdin.
TEST(SqlLex, CutWordIsNoKeyword) {
    std::string in = std::string(5000, 'x') + "copy FROM stdin;\nSELECT 1;\n";
    auto ps = sql_split(in, 100, {}, 1024);
    EXPECT_EQ(concat(ps), in);
    for (const auto& p : ps) EXPECT_NE(p.kind, SqlPiece::CopyData);
    ASSERT_GE(statements(ps).size(), 2u);
    EXPECT_EQ(statements(ps).back().text, "\nSELECT 1;");
}

namespace {
std::string check_error(const std::string& in, size_t chunk = 3) {
    SqlLexer lex;
    lex.check_text(true);
    SqlPiece p;
    try {
        for (size_t off = 0; off < in.size(); off += chunk) {
            lex.feed(in.data() + off, std::min(chunk, in.size() - off));
            while (lex.next(p)) {
                if (p.kind == SqlPiece::Statement && p.text.find("LATIN1") != std::string::npos)
                    lex.set_input_utf8(false);
            }
        }
        lex.finish();
        while (lex.next(p)) {}
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(SqlLex, RefusesNulAndInvalidUtf8WithLineAndOffset) {
    EXPECT_EQ(check_error("SELECT 'caf\xc3\xa9';\nSELECT '\xf0\x9f\x98\x80';\n"), "");
    EXPECT_EQ(check_error(std::string("SELECT 1;\nSELECT 'a\0b';\n", 22)), "input line 2, byte offset 19: NUL byte");
    EXPECT_EQ(check_error("SELECT 1;\nSELECT 'caf\xe9';\n"),
              "input line 2, byte offset 21: invalid UTF-8 byte sequence 0xe9 0x27");
    EXPECT_EQ(check_error("SELECT '\xed\xa0\x80';"), "input line 1, byte offset 8: invalid UTF-8 byte sequence 0xed 0xa0");
    EXPECT_EQ(check_error("SELECT '\xc0\xaf';"), "input line 1, byte offset 8: invalid UTF-8 byte sequence 0xc0");
    EXPECT_EQ(check_error("SELECT 1;\n\xe2\x82"),
              "input line 2, byte offset 10: incomplete UTF-8 byte sequence 0xe2 0x82 at the end of the input");
    // COPY data is checked too.
    EXPECT_EQ(check_error("COPY t FROM stdin;\nok\n\xff\n\\.\n"),
              "input line 3, byte offset 22: invalid UTF-8 byte sequence 0xff");
    // A LATIN1 script may hold any byte but NUL.
    EXPECT_EQ(check_error("SET client_encoding = 'LATIN1';\nSELECT 'caf\xe9';\n"), "");
    EXPECT_EQ(check_error(std::string("SET client_encoding = 'LATIN1';\nSELECT 'caf\0';\n", 46)),
              "input line 2, byte offset 43: NUL byte");
}
