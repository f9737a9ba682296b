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
    EXPECT_EQ(via_column_hash("ok", "boolean"), "pg_catalog.hashint4extended(t.\"ok\"::pg_catalog.int4, 0)");
    EXPECT_EQ(via_column_hash("b", "bytea"), "pg_catalog.hash_array_extended(ARRAY[t.\"b\"], 0)");
    EXPECT_EQ(via_column_hash("ts", "timestamp without time zone"), "pg_catalog.timestamp_hash_extended(t.\"ts\", 0)");
}

TEST(ViaColumnHash, WhatTheHashFunctionCallsEqual) {
    // the scale, or NaN / Infinity / -Infinity (which the hash calls 0): 9 and 9.0 hash apart
    EXPECT_EQ(via_column_hash("n", "numeric(12,3)"),
              "pg_catalog.hash_numeric_extended(t.\"n\", 0), (CASE WHEN t.\"n\" OPERATOR(pg_catalog.=) "
              "'NaN'::pg_catalog.numeric THEN -1 WHEN t.\"n\" OPERATOR(pg_catalog.=) 'Infinity'::pg_catalog.numeric "
              "THEN -2 WHEN t.\"n\" OPERATOR(pg_catalog.=) '-Infinity'::pg_catalog.numeric THEN -3 ELSE "
              "pg_catalog.scale(t.\"n\") END)::pg_catalog.int8");
    // the sign bit: -0 and 0 hash apart
    const std::string sign = "(pg_catalog.atan2(t.\"f\", '-1'::pg_catalog.float8) OPERATOR(pg_catalog.<) "
                             "'0'::pg_catalog.float8)::pg_catalog.int4::pg_catalog.int8";
    EXPECT_EQ(via_column_hash("f", "double precision"), "pg_catalog.hashfloat8extended(t.\"f\", 0), " + sign);
    EXPECT_EQ(via_column_hash("f", "real"), "pg_catalog.hashfloat4extended(t.\"f\", 0), " + sign);
    // an array and its bounds ('[0:1]={a,b}' and '{a,b}'; '{{a,b},{c,d}}' and '{{a,b,c,d}}' hash apart)
    const std::string a = "pg_catalog.hash_array_extended(t.\"a\", 0), pg_catalog.hash_array_extended("
                          "ARRAY[pg_catalog.array_lower(t.\"a\", 1), pg_catalog.array_upper(t.\"a\", 1)], 0), "
                          "CASE WHEN pg_catalog.array_ndims(t.\"a\") OPERATOR(pg_catalog.>) 1 THEN "
                          "pg_catalog.hash_array_extended(ARRAY[pg_catalog.array_lower(t.\"a\", 2), "
                          "pg_catalog.array_upper(t.\"a\", 2), pg_catalog.array_lower(t.\"a\", 3), "
                          "pg_catalog.array_upper(t.\"a\", 3), pg_catalog.array_lower(t.\"a\", 4), "
                          "pg_catalog.array_upper(t.\"a\", 4), pg_catalog.array_lower(t.\"a\", 5), "
                          "pg_catalog.array_upper(t.\"a\", 5), pg_catalog.array_lower(t.\"a\", 6), "
                          "pg_catalog.array_upper(t.\"a\", 6)], 0) END";
    EXPECT_EQ(via_column_hash("a", "text[]"), a);
    EXPECT_EQ(via_column_hash("a", "uuid[][]"), a);
}

TEST(ViaColumnHash, InfinityWorks) {
    // date - date and timestamptz - timestamptz refuse infinity: neither is used
    EXPECT_EQ(via_column_hash("d", "date"),
              "pg_catalog.hashint4extended(CASE WHEN t.\"d\" OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.date "
              "THEN 2147483647 WHEN t.\"d\" OPERATOR(pg_catalog.=) '-infinity'::pg_catalog.date THEN "
              "'-2147483648'::pg_catalog.int4 ELSE t.\"d\" OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date END, 0)");
    EXPECT_EQ(via_column_hash("ts", "timestamp(3) with time zone"),
              "pg_catalog.timestamp_hash_extended(pg_catalog.timezone('00:00:00'::pg_catalog.interval, t.\"ts\"), 0)");
}

TEST(ViaColumnHash, TextFallback) {
    // no hash function that can be sent (json, enums hash by oid, domains,
    // composite types, ...): the text, in the "C" collation
    auto text = [](const std::string& c) { return "pg_catalog.hashtextextended(t." + c + "::pg_catalog.text COLLATE pg_catalog.\"C\", 0)"; };
    EXPECT_EQ(via_column_hash("j", "json"), text("\"j\""));
    EXPECT_EQ(via_column_hash("m", "mood"), text("\"m\""));
    EXPECT_EQ(via_column_hash("m", "mood[]"), text("\"m\""));
    EXPECT_EQ(via_column_hash("p", "app.posint"), text("\"p\""));
    // arrays of types whose hash is not exact (numeric, jsonb, float, date ...)
    EXPECT_EQ(via_column_hash("a", "numeric[]"), text("\"a\""));
    EXPECT_EQ(via_column_hash("a", "jsonb[]"), text("\"a\""));
    EXPECT_EQ(via_column_hash("a", "double precision[]"), text("\"a\""));
    EXPECT_EQ(via_column_hash("a", "date[]"), text("\"a\""));
    // interval ('1 day' = '24 hours') and jsonb (1.0 = 1.00) hash equal values of different text alike
    EXPECT_EQ(via_column_hash("i", "interval"), text("\"i\""));
    EXPECT_EQ(via_column_hash("j", "jsonb"), text("\"j\""));
    // types that differ between the sides, a nondeterministic collation
    EXPECT_EQ(via_column_hash("we\"ird", "-"), text("\"we\"\"ird\""));
}

TEST(ViaHashSql, RangeAndWhole) {
    EXPECT_EQ(via_hash_sql("\"s\".\"t\"", {"h1", "h2"}, "\"id\" >= '5'"),
              "SELECT pg_catalog.count(*)::pg_catalog.text, COALESCE(pg_catalog.sum(pg_catalog.hash_array_extended("
              "ARRAY[h1, h2]::pg_catalog.int8[], 0)), 0)::pg_catalog.text FROM ONLY \"s\".\"t\" t WHERE \"id\" >= '5'");
    EXPECT_EQ(via_hash_sql("x.y", {}, "").find(" WHERE "), std::string::npos);
}
