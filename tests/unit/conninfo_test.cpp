// Unit tests for lib/conninfo: libpq's parser splits password and passfile
// off every conninfo form, and what is left reads back to the same options.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>

#include "conn.h"
#include "conninfo.h"
#include "log.h"

using namespace fdwcopy;

namespace {

// The options PQconninfoParse finds in s (a plain name is not a conninfo for
// it, so the tests give it only strings).
std::map<std::string, std::string> libpq_options(const std::string& s) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(s.c_str(), &err);
    if (!opts) {
        std::string msg = err ? err : "?";
        PQfreemem(err);
        ADD_FAILURE() << "libpq cannot parse <" << s << ">: " << msg;
        return {};
    }
    std::map<std::string, std::string> out;
    for (PQconninfoOption* o = opts; o->keyword; ++o)
        if (o->val) out[o->keyword] = o->val;
    PQconninfoFree(opts);
    return out;
}

// Splits s and checks the round trip: the safe conninfo, parsed again by
// libpq, sets exactly s's options minus password and passfile, and holds
// nothing of the password.
ConninfoSplit split_checked(const std::string& s) {
    ConninfoSplit r = split_conninfo(s);
    std::map<std::string, std::string> want = libpq_options(s);
    EXPECT_TRUE(r.has_password);
    EXPECT_EQ(r.password, want["password"]);
    want.erase("password");
    want.erase("passfile");
    EXPECT_EQ(libpq_options(r.safe), want) << "safe: " << r.safe;
    EXPECT_EQ(r.safe.find(r.password), std::string::npos) << "safe: " << r.safe;
    return r;
}

}  // namespace

TEST(ConninfoSplit, KeywordValueWithQuotesAndBackslashes) {
    ConninfoSplit r = split_checked(R"(host=h port=5432 dbname='my db' user=o\'neil password='s3 c\'r\\et' application_name='a\\b')");
    EXPECT_EQ(r.password, R"(s3 c'r\et)");
    EXPECT_EQ(r.safe, R"(user='o\'neil' dbname='my db' host='h' port='5432' application_name='a\\b')");
    // unquoted value with an escaped space
    EXPECT_EQ(split_checked(R"(host=h password=pa\ ss)").password, "pa ss");
}

TEST(ConninfoSplit, UriPasswordCharacters) {
    // libpq ends the user information at the first "@"; "?" and ":" may stand
    // in the password, "@" and "/" only percent-encoded.
    EXPECT_EQ(split_checked("postgresql://alice:se?cret@host/db").password, "se?cret");
    EXPECT_EQ(split_checked("postgresql://alice:se%3Fcret@host/db").password, "se?cret");
    EXPECT_EQ(split_checked("postgresql://alice:a%40b@host/db").password, "a@b");
    EXPECT_EQ(split_checked("postgresql://alice:a%2Fb@host/db").password, "a/b");
    EXPECT_EQ(split_checked("postgresql://alice:a:b@host/db").password, "a:b");
    EXPECT_EQ(split_checked("postgresql://alice:two words@host/db").password, "two words");
    EXPECT_EQ(split_checked("postgresql://alice:two%20words@host/db").password, "two words");
    EXPECT_EQ(split_checked("postgres://alice:gr\xC3\xBC\xC3\x9F" "e@host/db").password, "gr\xC3\xBC\xC3\x9F" "e");
    EXPECT_EQ(split_checked("postgres://alice:gr%C3%BC%C3%9Fe@host/db").password, "gr\xC3\xBC\xC3\x9F" "e");
    ConninfoSplit r = split_checked("postgresql://alice:se?cret@%2Ftmp%2Fsock:5433/db");
    EXPECT_EQ(r.safe, "user='alice' dbname='db' host='/tmp/sock' port='5433'");
}

TEST(ConninfoSplit, UriQueryString) {
    ConninfoSplit r = split_checked(
        "postgresql://alice@h1:5432,h2:5433/db?password=q%26w&sslmode=disable&passfile=/x&application_name=a%20b");
    EXPECT_EQ(r.password, "q&w");
    EXPECT_EQ(r.safe, "user='alice' dbname='db' host='h1,h2' port='5432,5433' "
                      "application_name='a b' sslmode='disable'");
    // the query's password wins over the user information's, as in libpq
    EXPECT_EQ(split_checked("postgresql://u:first@h/db?password=second").password, "second");
}

TEST(ConninfoSplit, Passfile) {
    ConninfoSplit r = split_checked("host=h passfile=/home/u/.pgpass password=pw");
    EXPECT_EQ(r.safe, "host='h'");
    // without a password, the passfile is where libpq looks: it stays
    r = split_conninfo("host=h passfile=/home/u/.pgpass");
    EXPECT_FALSE(r.has_password);
    EXPECT_EQ(r.safe, "passfile='/home/u/.pgpass' host='h'");
    // an empty password is no secret, and libpq then ignores PGPASSWORD: it stays
    r = split_conninfo("host=h password='' passfile=/p");
    EXPECT_FALSE(r.has_password);
    EXPECT_EQ(r.safe, "password='' passfile='/p' host='h'");
}

TEST(ConninfoSplit, NoPassword) {
    ConninfoSplit r = split_conninfo("postgresql://u@h/db");
    EXPECT_FALSE(r.has_password);
    EXPECT_EQ(r.password, "");
    EXPECT_EQ(r.safe, "user='u' dbname='db' host='h'");
    r = split_conninfo("");
    EXPECT_FALSE(r.has_password);
    EXPECT_EQ(r.safe, "");
}

TEST(ConninfoSplit, PlainDatabaseName) {
    // no "=" and no URI prefix: a database name, as libpq's expand_dbname reads it
    EXPECT_FALSE(is_conninfo_string("shop"));
    EXPECT_FALSE(is_conninfo_string("postgresql:/shop"));
    EXPECT_TRUE(is_conninfo_string("postgres://"));
    EXPECT_TRUE(is_conninfo_string("dbname=shop"));
    ConninfoSplit r = split_conninfo("my shop");
    EXPECT_FALSE(r.has_password);
    EXPECT_EQ(r.safe, "dbname='my shop'");
}

TEST(ConninfoSplit, InvalidNeverEchoesThePassword) {
    auto message = [](const std::string& s) -> std::string {
        try {
            split_conninfo(s);
        } catch (const Error& e) {
            return e.what();
        }
        return "(no error)";
    };
    EXPECT_EQ(message("host=h password=s3cret bogus"),
              "missing \"=\" after \"****\" in connection info string");
    EXPECT_EQ(message("host=h password=s3 cret"), "missing \"=\" after \"****\" in connection info string");
    EXPECT_EQ(message("host='h password=s3cret"), "unterminated quoted string in connection info string");
    EXPECT_EQ(message("postgresql://u:s3%zzcret@h/db"), "invalid percent-encoded token: \"****\"");
    EXPECT_EQ(message("postgresql://u:s3cret@[::1/db"),
              "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"****\"");
    EXPECT_EQ(message("postgresql://u:s3cret@h/db?a=b=c"),
              "extra key/value separator \"=\" in URI query parameter: \"****\"");
    // no password in the string: libpq's message as it is
    EXPECT_EQ(message("host=h bogus"), "missing \"=\" after \"bogus\" in connection info string");
    EXPECT_EQ(message("host=h bogus=1"), "invalid connection option \"bogus\"");
}

TEST(ConninfoSplit, ConnectionParseErrorNeverEchoesThePassword) {
    // libpq's PQconnectdbParams would say: invalid percent-encoded token: "s3%zzcret"
    try {
        Connection c("postgresql://u:s3%zzcret@/db?host=/nonexistent", "source");
        ADD_FAILURE() << "connected";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "could not connect to source: invalid percent-encoded token: \"****\"");
    }
}

// --via-fdw: the server gets the connection's options, the mapping the user
// and password; libpq's defaults fill what the conninfo leaves out.
TEST(FdwConninfoOptions, ServerAndMapping) {
    FdwConninfoOptions f = fdw_conninfo_options(
        "host=db1 port=5433 dbname=shop user=alice password='p\\'w:x' passfile=/x sslmode=require client_encoding=UTF8");
    EXPECT_EQ(f.server, "dbname 'shop', host 'db1', port '5433', sslmode 'require'");
    EXPECT_EQ(f.mapping, "user 'alice', password 'p''w:x'");
    EXPECT_TRUE(f.has_password);
    FdwConninfoOptions u = fdw_conninfo_options("postgresql://bob@db2/inv");
    EXPECT_NE(u.server.find("dbname 'inv'"), std::string::npos);
    EXPECT_NE(u.server.find("host 'db2'"), std::string::npos);
    EXPECT_NE(u.server.find("port '"), std::string::npos);  // libpq's default
    EXPECT_EQ(u.mapping.rfind("user 'bob'", 0), 0u);
    EXPECT_THROW(fdw_conninfo_options("host=db1 nosuchoption=1"), Error);
}
