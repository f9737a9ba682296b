// Unit tests for lib/size: pg_size_bytes-style parsing, pg_size_pretty formatting.
#include <gtest/gtest.h>

#include "log.h"
#include "size.h"

using namespace fdwcopy;

TEST(Size, ParsesUnitsLikePgSizeBytes) {
    EXPECT_EQ(parse_size("100"), 100);
    EXPECT_EQ(parse_size("100 bytes"), 100);
    EXPECT_EQ(parse_size("100B"), 100);
    EXPECT_EQ(parse_size("8kB"), 8192);
    EXPECT_EQ(parse_size("8 KB"), 8192);
    EXPECT_EQ(parse_size("500MB"), 500LL * 1024 * 1024);
    EXPECT_EQ(parse_size("1GB"), 1LL << 30);
    EXPECT_EQ(parse_size("  1 gb  "), 1LL << 30);
    EXPECT_EQ(parse_size("2TB"), 2LL << 40);
    EXPECT_EQ(parse_size("1PB"), 1LL << 50);
    EXPECT_EQ(parse_size("1.5GB"), 3LL << 29);
    EXPECT_EQ(parse_size("1.5kB"), 1536);
    EXPECT_EQ(parse_size("1e3"), 1000);
    EXPECT_EQ(parse_size("1e1 kB"), 10240);
    EXPECT_EQ(parse_size("-1kB"), -1024);
    EXPECT_EQ(parse_size(".5kB"), 512);
}

TEST(Size, RefusesGarbage) {
    for (const char* s : {"", " ", "GB", "1 XB", "1 G B", "1GBx", "abc", "1..2", "1e", "9999999PB"})
        EXPECT_THROW(parse_size(s), Error) << s;
    try {
        parse_size("5 EB");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "invalid size: \"5 EB\"");
        EXPECT_FALSE(e.hint.empty());
    }
}

TEST(Size, FormatsLikePgSizePretty) {
    // Expected values from PostgreSQL 15's pg_size_pretty().
    EXPECT_EQ(format_size(0), "0 bytes");
    EXPECT_EQ(format_size(10239), "10239 bytes");
    EXPECT_EQ(format_size(10240), "10 kB");
    EXPECT_EQ(format_size(1000000), "977 kB");
    EXPECT_EQ(format_size(20971519), "20 MB");
    EXPECT_EQ(format_size(10485000), "10239 kB");
    EXPECT_EQ(format_size(1LL << 30), "1024 MB");
    EXPECT_EQ(format_size(500LL << 30), "500 GB");
    EXPECT_EQ(format_size(-10240), "-10 kB");
    EXPECT_EQ(format_size(1LL << 60), "1024 PB");
}

TEST(Size, FormatsMegabytes) {
    EXPECT_EQ(format_mb(0), "0.0 MB");
    EXPECT_EQ(format_mb(1572864), "1.5 MB");
}
