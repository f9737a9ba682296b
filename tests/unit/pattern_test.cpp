// Unit tests for lib/pattern: psql-style -n / -t patterns.
#include <gtest/gtest.h>

#include "log.h"
#include "pattern.h"

using namespace fdwcopy;

TEST(Pattern, FoldsAndWildcards) {
    EXPECT_EQ(pattern_part_to_regex("Pay*"), "^(pay.*)$");
    EXPECT_EQ(pattern_part_to_regex("a?c"), "^(a.c)$");
    EXPECT_TRUE(regex_matches(pattern_part_to_regex("pay*"), "payment_p2022_01"));
    EXPECT_FALSE(regex_matches(pattern_part_to_regex("pay*"), "xpayment"));
}

TEST(Pattern, QuotesKeepCaseAndLiterals) {
    EXPECT_EQ(pattern_part_to_regex("\"Pay.X*\""), "^(Pay\\.X\\*)$");
    EXPECT_TRUE(regex_matches(pattern_part_to_regex("\"My\"\"T\""), "My\"T"));
}

TEST(Pattern, QualifiedNames) {
    NamePattern p = parse_table_pattern("public.film*");
    EXPECT_EQ(p.schema_regex, "^(public)$");
    EXPECT_EQ(p.name_regex, "^(film.*)$");
    NamePattern q = parse_table_pattern("\"a.b\"");
    EXPECT_EQ(q.schema_regex, "");
    EXPECT_EQ(q.name_regex, "^(a\\.b)$");
    EXPECT_THROW(parse_table_pattern("db.s.t"), Error);
    EXPECT_THROW(schema_pattern_to_regex("s.t"), Error);
}
