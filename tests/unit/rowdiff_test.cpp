// Unit tests for lib/rowdiff: the merge of two sorted (key, hash) lists, key
// comparison, the list query, the key-set condition and array literals.
#include <gtest/gtest.h>

#include "log.h"
#include "rowdiff.h"
#include "workitem.h"

using namespace fdwcopy;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

KeyHashNext from(const Pairs& p) {
    auto i = std::make_shared<size_t>(0);
    return [p, i](std::string* k, std::string* h) {
        if (*i >= p.size()) return false;
        *k = p[*i].first;
        *h = p[*i].second;
        ++*i;
        return true;
    };
}

RowDiff diff(const Pairs& s, const Pairs& t, KeyOrder o = KeyOrder::Bytes, size_t max_keys = 1000) {
    RowDiff d;
    diff_sorted_lists(from(s), from(t), o, max_keys, &d);
    return d;
}

}  // namespace

TEST(RowDiff, EqualListsDoNotDiffer) {
    RowDiff d = diff({{"(a)", "1"}, {"(b)", "2"}}, {{"(a)", "1"}, {"(b)", "2"}});
    EXPECT_TRUE(d.upsert.empty());
    EXPECT_TRUE(d.remove.empty());
    EXPECT_EQ(d.source_rows, 2);
    EXPECT_EQ(d.target_rows, 2);
    EXPECT_EQ(d.differing, 0);
    EXPECT_FALSE(d.overflow);
}

TEST(RowDiff, ChangedMissingAndExtraRows) {
    // b changed, c only on the source, d only on the target, e and f at the
    // ends of one side only.
    RowDiff d = diff({{"(a)", "1"}, {"(b)", "2"}, {"(c)", "3"}, {"(e)", "5"}, {"(f)", "6"}},
                     {{"(a)", "1"}, {"(b)", "9"}, {"(d)", "4"}, {"(e)", "5"}});
    EXPECT_EQ(d.upsert, (std::vector<std::string>{"(b)", "(c)", "(f)"}));
    EXPECT_EQ(d.remove, (std::vector<std::string>{"(d)"}));
    EXPECT_EQ(d.differing, 4);
    EXPECT_EQ(d.source_rows, 5);
    EXPECT_EQ(d.target_rows, 4);
}

TEST(RowDiff, StreamsEmitEachDifferingKeyInKeyOrder) {
    // as the keys come, interleaved: copy-table --batch-rows cuts its
    // batches from this order
    std::vector<std::string> seen;
    int64_t s = 0, t = 0;
    diff_sorted_streams(from({{"1", "a"}, {"2", "b"}, {"4", "d"}, {"10", "x"}}),
                        from({{"1", "a"}, {"2", "z"}, {"3", "c"}, {"10", "x"}, {"11", "y"}}), KeyOrder::Integer,
                        [&](bool remove, const std::string& k) { seen.push_back((remove ? "-" : "+") + k); }, &s, &t);
    EXPECT_EQ(seen, (std::vector<std::string>{"+2", "-3", "+4", "-11"}));
    EXPECT_EQ(s, 4);
    EXPECT_EQ(t, 5);
    // an error of emit (a failed batch) stops the merge
    EXPECT_THROW(diff_sorted_streams(from({{"1", "a"}, {"2", "b"}}), from({}), KeyOrder::Integer,
                                     [](bool, const std::string& k) { if (k == "2") throw Error("batch failed"); }, &s, &t),
                 Error);
}

TEST(RowDiff, OneSideEmpty) {
    EXPECT_EQ(diff({{"(a)", "1"}, {"(b)", "2"}}, {}).upsert, (std::vector<std::string>{"(a)", "(b)"}));
    EXPECT_EQ(diff({}, {{"(a)", "1"}}).remove, (std::vector<std::string>{"(a)"}));
    RowDiff d = diff({}, {});
    EXPECT_EQ(d.differing, 0);
}

TEST(RowDiff, BytesOrderIsUnsigned) {
    // "\xc3\xa9" (é in UTF-8) sorts after "z" under COLLATE "C" (memcmp):
    // a signed char compare would put it first and take the lists as unsorted.
    RowDiff d = diff({{"(z)", "1"}, {"(\xc3\xa9)", "2"}}, {{"(z)", "1"}, {"(\xc3\xa9)", "3"}});
    EXPECT_EQ(d.upsert, (std::vector<std::string>{"(\xc3\xa9)"}));
    EXPECT_LT(compare_keys("(z)", "(\xc3\xa9)", KeyOrder::Bytes), 0);
}

TEST(RowDiff, IntegerOrderComparesNumbers) {
    EXPECT_LT(compare_keys("9", "10", KeyOrder::Integer), 0);
    EXPECT_LT(compare_keys("-10", "-9", KeyOrder::Integer), 0);
    EXPECT_EQ(compare_keys("(42)", "42", KeyOrder::Integer), 0);
    EXPECT_THROW(compare_keys("4x", "5", KeyOrder::Integer), Error);
    RowDiff d = diff({{"9", "a"}, {"10", "b"}, {"100", "c"}}, {{"9", "a"}, {"10", "x"}, {"11", "d"}}, KeyOrder::Integer);
    EXPECT_EQ(d.upsert, (std::vector<std::string>{"10", "100"}));
    EXPECT_EQ(d.remove, (std::vector<std::string>{"11"}));
}

TEST(RowDiff, UnsortedOrDuplicateKeysAreErrorsNamingTheSide) {
    try {
        diff({{"(b)", "1"}, {"(a)", "2"}}, {});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("source: the key list of the range is not in strictly increasing order"),
                  std::string::npos);
    }
    try {
        diff({}, {{"(a)", "1"}, {"(a)", "2"}});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("target:"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("occurs twice"), std::string::npos);
    }
    // Numbers in text order are out of order for an Integer list.
    EXPECT_THROW(diff({{"10", "1"}, {"9", "1"}}, {}, KeyOrder::Integer), Error);
}

TEST(RowDiff, PastMaxKeysOnlyCounts) {
    Pairs s, t;
    for (int i = 0; i < 10; ++i) {
        s.push_back({std::to_string(i), "s"});
        t.push_back({std::to_string(i), "t"});
    }
    RowDiff d = diff(s, t, KeyOrder::Integer, 4);
    EXPECT_TRUE(d.overflow);
    EXPECT_EQ(d.upsert.size(), 4u);
    EXPECT_EQ(d.differing, 10);
    EXPECT_EQ(d.source_rows, 10);  // both lists read to their end
    EXPECT_EQ(d.target_rows, 10);
}

TEST(RowDiff, KeyOrderFromTypes) {
    EXPECT_EQ(key_order({"integer"}, {"bigint"}), KeyOrder::Integer);
    EXPECT_EQ(key_order({"bigint"}, {"text"}), KeyOrder::Bytes);
    EXPECT_EQ(key_order({"integer", "integer"}, {"integer", "integer"}), KeyOrder::Bytes);
    EXPECT_EQ(key_order({"uuid"}, {"uuid"}), KeyOrder::Bytes);
}

TEST(RowDiff, ListQuery) {
    WorkItem w = parse_work_line("table\t1\tpublic\tt\t0\t0\t1\t2\trange\t(a,b)\t-\t(3,x)");
    EXPECT_EQ(row_hash_list_sql(w, {"a", "b"}, "0", KeyOrder::Bytes),
              "SELECT s.k, s.h FROM (SELECT ROW(t.\"a\", t.\"b\")::pg_catalog.text AS k, 0 AS h FROM ONLY "
              "\"public\".\"t\" t WHERE " + w.predicate() + ") s ORDER BY s.k COLLATE pg_catalog.\"C\"");
    WorkItem v = parse_work_line("table\t1\tpublic\tt\t0\t0\t1\t1\trange\t(id)\t-\t-");
    EXPECT_EQ(row_hash_list_sql(v, {"id"}, "h(t)", KeyOrder::Integer),
              "SELECT t.\"id\", h(t) FROM ONLY \"public\".\"t\" t WHERE true ORDER BY t.\"id\"");
}

TEST(RowDiff, ArrayLiteral) {
    EXPECT_EQ(array_literal({"1", "2"}), "{\"1\",\"2\"}");
    EXPECT_EQ(array_literal({"a\"b", "c\\d", "", "{x,y}"}), "{\"a\\\"b\",\"c\\\\d\",\"\",\"{x,y}\"}");
}

TEST(RowDiff, KeySetCondition) {
    EXPECT_EQ(key_set_condition({"id"}, {"bigint"}, {"5", "(7)"}),
              "EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest('{\"5\",\"7\"}'::bigint[])) u(k1) WHERE "
              "u.k1 OPERATOR(pg_catalog.=) t.\"id\")");
    EXPECT_EQ(key_set_condition({"a", "B"}, {"integer", "text"}, {"(1,x)", "(2,\"it's\")"}),
              "EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest('{\"1\",\"2\"}'::integer[]), "
              "pg_catalog.unnest('{\"x\",\"it''s\"}'::text[])) u(k1, k2) WHERE u.k1 OPERATOR(pg_catalog.=) t.\"a\" "
              "AND u.k2 OPERATOR(pg_catalog.=) t.\"B\")");
    EXPECT_THROW(key_set_condition({"a", "b"}, {"integer", "text"}, {"(1)"}), Error);
    EXPECT_THROW(key_set_condition({"a"}, {"integer"}, {}), Error);
}

TEST(RowDiff, SplitKeyHash) {
    std::string k, h;
    split_key_hash("(\"a\\tb\")\t-123", &k, &h);
    EXPECT_EQ(k, "(\"a\tb\")");
    EXPECT_EQ(h, "-123");
    EXPECT_THROW(split_key_hash("only", &k, &h), Error);
    EXPECT_THROW(split_key_hash("a\tb\tc", &k, &h), Error);
}
