// Unit tests for lib/keyrange (row literals, range predicates, cutting ranges)
// and the pure parts of lib/tablediff and of the range work lines.
#include <gtest/gtest.h>

#include "keyrange.h"
#include "log.h"
#include "tablediff.h"
#include "workitem.h"

using namespace fdwcopy;

TEST(RowLiteral, FormatsAsRecordOut) {
    EXPECT_EQ(format_row_literal({"5"}), "(5)");
    EXPECT_EQ(format_row_literal({"3", "x y"}), "(3,\"x y\")");
    EXPECT_EQ(format_row_literal({"a\"b", "c\\d", ""}), "(\"a\"\"b\",\"c\\\\d\",\"\")");
    EXPECT_EQ(format_row_literal({"(p)", "a,b", "t\tn\n"}), "(\"(p)\",\"a,b\",\"t\tn\n\")");
}

TEST(RowLiteral, RoundTrip) {
    std::vector<std::vector<std::string>> cases = {
        {"1"}, {"-12", "abc"}, {"", " "}, {"\"", "\\", "(", ")", ","}, {"2024-01-01 00:00:00+00", "x"}};
    for (auto& c : cases) EXPECT_EQ(parse_row_literal(format_row_literal(c)), c);
}

TEST(RowLiteral, ParsesWhatPostgresWrites) {
    // ROW('k "x",2'::text, 1997)::text
    EXPECT_EQ(parse_row_literal("(\"k \"\"x\"\",2\",1997)"), (std::vector<std::string>{"k \"x\",2", "1997"}));
    EXPECT_EQ(parse_row_literal("(a\\,b)"), (std::vector<std::string>{"a,b"}));
}

TEST(RowLiteral, RejectsMalformedAndNull) {
    EXPECT_THROW(parse_row_literal("5"), Error);
    EXPECT_THROW(parse_row_literal("(5"), Error);
    EXPECT_THROW(parse_row_literal("()"), Error);       // one NULL value
    EXPECT_THROW(parse_row_literal("(1,)"), Error);     // NULL
    EXPECT_THROW(parse_row_literal("(\"open)"), Error);
    EXPECT_THROW(parse_row_literal("(a(b)"), Error);
}

TEST(RangePredicate, OneAndSeveralColumns) {
    EXPECT_EQ(range_predicate({"id"}, "-", "-"), "true");
    EXPECT_EQ(range_predicate({"id"}, "(10)", "-"), "\"id\" >= '10'");
    EXPECT_EQ(range_predicate({"id"}, "(10)", "(20)"), "\"id\" >= '10' AND \"id\" < '20'");
    EXPECT_EQ(range_predicate({"a", "b"}, "-", "(3,\"x y\")"), "(\"a\", \"b\") < ('3', 'x y')");
    EXPECT_EQ(range_predicate({"a"}, "(\"it's\")", "-", "t"), "t.\"a\" >= 'it''s'");
    EXPECT_EQ(range_predicate({"k"}, "(a\\\\b)", "-"), "\"k\" >= E'a\\\\b'");
    EXPECT_THROW(range_predicate({"a", "b"}, "(1)", "-"), Error);
    EXPECT_THROW(range_predicate({}, "-", "-"), Error);
}

TEST(RangeChunks, CutsKeepBoundsAndShareRows) {
    WorkItem w;
    w.method = "range";
    w.key = "(id)";
    w.lo = "(100)";
    w.hi = "(900)";
    w.rows = 250;
    w.bytes = 2500;
    w.part = 3;
    w.parts = 7;
    auto c = range_chunks(w, {"(200)", "(300)"}, 100, 250);
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].lo, "(100)");
    EXPECT_EQ(c[0].hi, "(200)");
    EXPECT_EQ(c[1].lo, "(200)");
    EXPECT_EQ(c[1].hi, "(300)");
    EXPECT_EQ(c[2].lo, "(300)");
    EXPECT_EQ(c[2].hi, "(900)");
    EXPECT_EQ(c[0].rows + c[1].rows + c[2].rows, 250);
    EXPECT_EQ(c[2].rows, 50);
    EXPECT_EQ(c[1].part, 3);
    EXPECT_EQ(c[1].parts, 7);
    EXPECT_EQ(range_chunks(w, {}, 100, 250).size(), 1u);
}

TEST(CutPoints, EveryNthRowAfterTheFirstRange) {
    std::string sql = cut_points_sql("s", "t", {"a", "b"}, "\"a\" >= '1'", 500);
    EXPECT_NE(sql.find("ROW(\"a\", \"b\")::pg_catalog.text"), std::string::npos);
    EXPECT_NE(sql.find("ORDER BY \"a\", \"b\""), std::string::npos);
    EXPECT_NE(sql.find("FROM ONLY \"s\".\"t\" WHERE \"a\" >= '1'"), std::string::npos);
    EXPECT_NE(sql.find("OPERATOR(pg_catalog.%) 500"), std::string::npos);
}

TEST(SplitStep, DownToTheMinimum) {
    EXPECT_EQ(split_step(100, 100, 10), 0);
    EXPECT_EQ(split_step(50, 100, 10), 0);
    EXPECT_EQ(split_step(10000, 100, 10), 1000);
    EXPECT_EQ(split_step(10001, 100, 10), 1001);
    EXPECT_EQ(split_step(500, 100, 10), 100);
}

TEST(SplitStep, ChunkRowsFirst) {
    // a range larger than --chunk-rows: cut into ranges of that many rows
    EXPECT_EQ(split_step(300000, 100, 10, 10000), 10000);
    EXPECT_EQ(split_step(10001, 100, 10, 10000), 10000);
    // at most --chunk-rows: cut as without it
    EXPECT_EQ(split_step(10000, 100, 10, 10000), 1000);
    EXPECT_EQ(split_step(300000, 100, 10, 0), 30000);
}

TEST(RowHash, TermPerColumnSeededByPositionNullConstantPerPosition) {
    std::string a = column_hash("a", "integer", 0), b = column_hash("a", "integer", 1);
    EXPECT_EQ(a.rfind("COALESCE(pg_catalog.hashint4extended(t.\"a\", 1), ", 0), 0u);
    EXPECT_EQ(b.rfind("COALESCE(pg_catalog.hashint4extended(t.\"a\", 2), ", 0), 0u);
    // the NULL constants of two positions differ
    EXPECT_NE(a.substr(a.rfind(", ")), b.substr(b.rfind(", ")));
    EXPECT_NE(column_hash("c", "character varying(20)", 0).find("hashtextextended(t.\"c\"::pg_catalog.text COLLATE"),
              std::string::npos);
    EXPECT_NE(column_hash("c", "character(3)", 0).find("hashbpcharextended(t.\"c\" COLLATE"), std::string::npos);
    EXPECT_NE(column_hash("c", "timestamp(3) with time zone", 0).find("timestamp_hash_extended(pg_catalog.timezone('UTC', t.\"c\")"),
              std::string::npos);
    EXPECT_NE(column_hash("c", "boolean", 0).find("hashint4extended(t.\"c\"::pg_catalog.int4"), std::string::npos);
    // equal values with different text under their own hash: hashed by their text
    for (const char* type : {"numeric(12,3)", "double precision", "jsonb", "interval", "integer[]", "text[]", "date",
                             "bytea", "mood", ""})
        EXPECT_NE(column_hash("c", type, 0).find("hashtextextended(t.\"c\"::pg_catalog.text COLLATE pg_catalog.\"C\", 1)"),
                  std::string::npos)
            << type;
}

TEST(RowHash, TypesOnBothSidesAndTheRowExpression) {
    std::map<std::string, std::string> s{{"id", "integer"}, {"v", "text"}}, t{{"id", "bigint"}, {"v", "text"}};
    auto e = row_hash_exprs({"id", "v"}, s, t);
    ASSERT_EQ(e.size(), 2u);
    // not the same type on both sides: by text
    EXPECT_NE(e[0].find("::pg_catalog.text"), std::string::npos);
    EXPECT_NE(e[1].find("hashtextextended(t.\"v\"::pg_catalog.text COLLATE pg_catalog.\"C\", 2)"), std::string::npos);
    EXPECT_EQ(row_hash(e), "pg_catalog.hashint8extended(" + e[0] + " OPERATOR(pg_catalog.#) " + e[1] + ", 0)");
    EXPECT_EQ(row_hash({}), "0::pg_catalog.int8");
    WorkItem w = parse_work_line("table\t1\tpublic\tt\t0\t0\t1\t1\trange\t(id)\t-\t-");
    EXPECT_EQ(row_hash_sql(w, e), "SELECT pg_catalog.count(*)::pg_catalog.text, COALESCE(pg_catalog.sum(" + row_hash(e) +
                                      "), 0)::pg_catalog.text FROM ONLY \"public\".\"t\" t WHERE true");
}

TEST(CommonColumns, SourceOrderAndBothSidesNamed) {
    std::vector<std::string> os, ot;
    auto c = common_columns({"id", "a", "gone", "b"}, {"b", "id", "new", "a"}, &os, &ot);
    EXPECT_EQ(c, (std::vector<std::string>{"id", "a", "b"}));
    EXPECT_EQ(os, (std::vector<std::string>{"gone"}));
    EXPECT_EQ(ot, (std::vector<std::string>{"new"}));
}

TEST(RangeWorkLine, RoundTripAndPredicate) {
    WorkItem w;
    w.oid = 1;
    w.schema = "public";
    w.name = "t";
    w.method = "range";
    w.key = "(a,b)";
    w.lo = "(1,\"x\ty\")";
    w.hi = "-";
    std::string line = format_work_line(w);
    WorkItem back = parse_work_line(line);
    EXPECT_EQ(back.lo, w.lo);
    EXPECT_EQ(back.predicate(), "(\"a\", \"b\") >= ('1', 'x\ty')");
    // a bound with the wrong arity is refused when the line is read
    w.hi = "(2)";
    EXPECT_THROW(parse_work_line(format_work_line(w)), Error);
}

TEST(RangeWorkLine, MergeResultLine) {
    ItemResult r;
    r.item.schema = "public";
    r.item.name = "t";
    r.rows = 10;
    r.merged = true;
    r.inserted = 1;
    r.updated = 2;
    r.deleted = 3;
    std::string line = format_result_line(r);
    ItemResult back = parse_result_line(line);
    EXPECT_TRUE(back.merged);
    EXPECT_EQ(back.inserted, 1);
    EXPECT_EQ(back.updated, 2);
    EXPECT_EQ(back.deleted, 3);
    EXPECT_EQ(parse_work_line(line).name, "t");
}
