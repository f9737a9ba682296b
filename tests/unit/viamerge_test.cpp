// Unit tests for lib/viamerge: the column hashes postgres_fdw can send to the
// source (each type's own extended hash function, called with its own type),
// the text fallback, and the range's hash query.
#include <gtest/gtest.h>

#include "viamerge.h"

using namespace fdwcopy;

TEST(ViaColumnHash, OwnHashFunctions) {
    EXPECT_EQ(via_column_hash("id", "integer"), "pg_catalog.hashint4extended(t.\"id\", 0)");
    EXPECT_EQ(via_column_hash("c", "character varying(20)"), "pg_catalog.hashtextextended(t.\"c\", 0)");
    EXPECT_EQ(via_column_hash("c", "character(3)"), "pg_catalog.hashbpcharextended(t.\"c\", 0)");
    // and the scale: 9 and 9.0 hash apart (verify compares the text)
    EXPECT_EQ(via_column_hash("n", "numeric(12,3)"),
              "pg_catalog.hash_numeric_extended(t.\"n\", 0), pg_catalog.scale(t.\"n\")::pg_catalog.int8");
    EXPECT_EQ(via_column_hash("ok", "boolean"), "pg_catalog.hashint4extended(t.\"ok\"::pg_catalog.int4, 0)");
    EXPECT_EQ(via_column_hash("d", "date"),
              "pg_catalog.hashint4extended(t.\"d\" OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date, 0)");
    EXPECT_EQ(via_column_hash("ts", "timestamp(3) with time zone"),
              "pg_catalog.interval_hash_extended(t.\"ts\" OPERATOR(pg_catalog.-) "
              "'2000-01-01 00:00:00+00'::pg_catalog.timestamptz, 0)");
    EXPECT_EQ(via_column_hash("b", "bytea"), "pg_catalog.hash_array_extended(ARRAY[t.\"b\"], 0)");
    // an array and its first lower bound and dimensions ('[0:1]={a,b}' and '{a,b}' hash apart)
    const std::string dims = ", (pg_catalog.array_lower(t.\"a\", 1) OPERATOR(pg_catalog.*) 8 OPERATOR(pg_catalog.+) "
                             "pg_catalog.array_ndims(t.\"a\"))::pg_catalog.int8";
    EXPECT_EQ(via_column_hash("a", "text[]"), "pg_catalog.hash_array_extended(t.\"a\", 0)" + dims);
    EXPECT_EQ(via_column_hash("a", "uuid[][]"), "pg_catalog.hash_array_extended(t.\"a\", 0)" + dims);
}

TEST(ViaColumnHash, TextFallback) {
    // no hash function that can be sent (json, enums hash by oid, ...): the text
    EXPECT_EQ(via_column_hash("j", "json"), "pg_catalog.hashtextextended(t.\"j\"::pg_catalog.text, 0)");
    EXPECT_EQ(via_column_hash("m", "mood"), "pg_catalog.hashtextextended(t.\"m\"::pg_catalog.text, 0)");
    EXPECT_EQ(via_column_hash("m", "mood[]"), "pg_catalog.hashtextextended(t.\"m\"::pg_catalog.text, 0)");
    // arrays of types whose hash is not exact (numeric, jsonb, float, ...)
    EXPECT_EQ(via_column_hash("a", "numeric[]"), "pg_catalog.hashtextextended(t.\"a\"::pg_catalog.text, 0)");
    EXPECT_EQ(via_column_hash("a", "jsonb[]"), "pg_catalog.hashtextextended(t.\"a\"::pg_catalog.text, 0)");
    // interval ('1 day' = '24 hours') and jsonb (1.0 = 1.00) hash equal values of different text alike
    EXPECT_EQ(via_column_hash("i", "interval"), "pg_catalog.hashtextextended(t.\"i\"::pg_catalog.text, 0)");
    EXPECT_EQ(via_column_hash("j", "jsonb"), "pg_catalog.hashtextextended(t.\"j\"::pg_catalog.text, 0)");
    EXPECT_EQ(via_column_hash("we\"ird", "-"), "pg_catalog.hashtextextended(t.\"we\"\"ird\"::pg_catalog.text, 0)");
}

TEST(ViaHashSql, RangeAndWhole) {
    EXPECT_EQ(via_hash_sql("\"s\".\"t\"", {"h1", "h2"}, "\"id\" >= '5'"),
              "SELECT pg_catalog.count(*)::pg_catalog.text, COALESCE(pg_catalog.sum(pg_catalog.hash_array_extended("
              "ARRAY[h1, h2]::pg_catalog.int8[], 0)), 0)::pg_catalog.text FROM ONLY \"s\".\"t\" t WHERE \"id\" >= '5'");
    EXPECT_EQ(via_hash_sql("x.y", {}, "").find(" WHERE "), std::string::npos);
}
