// Unit tests for lib/donestream: the done stream line format.
#include <gtest/gtest.h>

#include <sstream>

#include "donestream.h"
#include "log.h"

using namespace fdwcopy;

TEST(DoneStream, FormatsExactly) {
    DoneEntry e{kPgConstraintOid, 16500, "CONSTRAINT", "public", "actor_pkey"};
    EXPECT_EQ(format_done_line(e), "2606\t16500\tCONSTRAINT\tpublic\tactor_pkey");
    DoneEntry i{kPgClassOid, 16600, "INDEX", "public", "idx_actor_last_name"};
    EXPECT_EQ(format_done_line(i), "1259\t16600\tINDEX\tpublic\tidx_actor_last_name");
}

TEST(DoneStream, RoundTripWithAwkwardNames) {
    DoneEntry e{kPgClassOid, 4294967295u, "INDEX", "s\tch\\ema", "Idx \"x\"\nnew"};
    std::string line = format_done_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    auto back = parse_done_line(line + "\n");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->catalog_oid, e.catalog_oid);
    EXPECT_EQ(back->object_oid, e.object_oid);
    EXPECT_EQ(back->type, e.type);
    EXPECT_EQ(back->schema, e.schema);
    EXPECT_EQ(back->name, e.name);
}

TEST(DoneStream, CommentsAndEmptyLinesAreSkipped) {
    EXPECT_FALSE(parse_done_line(""));
    EXPECT_FALSE(parse_done_line("\n"));
    EXPECT_FALSE(parse_done_line("# index-build 0.1.0"));
}

TEST(DoneStream, RejectsBadLines) {
    EXPECT_THROW(parse_done_line("1259\t1\tINDEX\tpublic"), Error);
    EXPECT_THROW(parse_done_line("1259\t1\tINDEX\tpublic\tx\ty"), Error);
    EXPECT_THROW(parse_done_line("1259\tabc\tINDEX\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("1259\t-1\tINDEX\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("1259\t0\tINDEX\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("1259\t4294967296\tINDEX\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("1259\t1\tTRIGGER\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("2606\t1\tINDEX\tpublic\tx"), Error);
    EXPECT_THROW(parse_done_line("1259\t1\tCONSTRAINT\tpublic\tx"), Error);
    try {
        parse_done_line("1259\t1\tFK CONSTRAINT\tpublic\tx");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("FK CONSTRAINT"), std::string::npos);
    }
}

TEST(DoneStream, ReadStreamNumbersLines) {
    std::istringstream in("# done\n1259\t10\tINDEX\tpublic\ta\n\n2606\t20\tCONSTRAINT\tpublic\tb\n");
    auto v = read_done_stream(in);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].name, "b");
    auto keys = done_keys(v);
    EXPECT_TRUE(keys.count({1259u, 10u}));
    EXPECT_TRUE(keys.count({2606u, 20u}));
    EXPECT_FALSE(keys.count({1259u, 20u}));

    std::istringstream bad("1259\t10\tINDEX\tpublic\ta\nbroken\n");
    try {
        read_done_stream(bad);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
    }
}
