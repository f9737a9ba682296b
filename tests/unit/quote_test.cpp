// Unit tests for lib/quote and conninfo masking in lib/conn.
#include <gtest/gtest.h>

#include "conn.h"
#include "quote.h"

using namespace fdwcopy;

TEST(Quote, Ident) {
    EXPECT_EQ(quote_ident("user"), "\"user\"");
    EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(quote_qualified("public", "Mixed"), "\"public\".\"Mixed\"");
}

TEST(Quote, Literal) {
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
    EXPECT_EQ(quote_literal("a\\b"), "E'a\\\\b'");
    EXPECT_EQ(quote_literal(""), "''");
}

TEST(Quote, SplitQualified) {
    std::string s, n;
    ASSERT_TRUE(split_qualified("Archive.Payment_2022", &s, &n));
    EXPECT_EQ(s, "archive");
    EXPECT_EQ(n, "payment_2022");
    ASSERT_TRUE(split_qualified("\"My S\".\"a\"\"b.c\"", &s, &n));
    EXPECT_EQ(s, "My S");
    EXPECT_EQ(n, "a\"b.c");
    EXPECT_FALSE(split_qualified("t", &s, &n));
    EXPECT_FALSE(split_qualified("a.b.c", &s, &n));
    EXPECT_FALSE(split_qualified(".b", &s, &n));
    EXPECT_FALSE(split_qualified("a.", &s, &n));
    EXPECT_FALSE(split_qualified("\"a\"x.b", &s, &n));
    EXPECT_FALSE(split_qualified("\"a.b", &s, &n));
}

TEST(Conninfo, MasksPassword) {
    std::string m = mask_conninfo("host=h password=s3cret dbname=d");
    EXPECT_EQ(m.find("s3cret"), std::string::npos);
    EXPECT_NE(m.find("password='****'"), std::string::npos);
    std::string u = mask_conninfo("postgresql://u:s3cret@h:5432/d");
    EXPECT_EQ(u.find("s3cret"), std::string::npos);
    EXPECT_EQ(mask_conninfo("host='unterminated s3cret"), "(unparsable conninfo)");
    EXPECT_EQ(mask_conninfo(""), "");
}
