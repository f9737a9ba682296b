// Unit tests for lib/tablelist: filters as SQL, and splitting a table into parts
// that cover every row exactly once, without a server.
#include <gtest/gtest.h>

#include <limits>

#include "log.h"
#include "tablelist.h"

using namespace fdwcopy;

namespace {
WorkItem big_table() {
    WorkItem w;
    w.oid = 16400;
    w.schema = "public";
    w.name = "big";
    w.bytes = 1000;
    w.rows = 103;
    return w;
}

// Every integer key k (and NULL) must fall into exactly one part.
void expect_exact_cover(const std::vector<WorkItem>& parts, int64_t from, int64_t to) {
    auto in = [](const WorkItem& w, int64_t k) {
        bool lo_ok = w.lo == "-" || k >= std::stoll(w.lo);
        bool hi_ok = w.hi == "-" || k < std::stoll(w.hi);
        return lo_ok && hi_ok;
    };
    for (int64_t k = from; k <= to; ++k) {
        int hits = 0;
        for (auto& p : parts) hits += in(p, k);
        ASSERT_EQ(hits, 1) << "key " << k;
    }
    int null_parts = 0;
    for (auto& p : parts) null_parts += p.lo == "-";
    EXPECT_EQ(null_parts, 1);
}
}  // namespace

TEST(TableList, PartsFor) {
    EXPECT_EQ(parts_for(100, 0), 1);
    EXPECT_EQ(parts_for(100, 100), 1);
    EXPECT_EQ(parts_for(101, 100), 2);
    EXPECT_EQ(parts_for(400, 100), 4);
    EXPECT_EQ(parts_for(401, 100), 5);
    EXPECT_EQ(parts_for(int64_t(1) << 50, 1), kMaxParts);
}

TEST(TableList, ParseIntArray) {
    EXPECT_EQ(parse_int_array("{1,-2,300}"), (std::vector<int64_t>{1, -2, 300}));
    EXPECT_EQ(parse_int_array("{}"), std::vector<int64_t>{});
    EXPECT_EQ(parse_int_array("{9223372036854775807}"),
              std::vector<int64_t>{std::numeric_limits<int64_t>::max()});
    for (const char* s : {"", "{", "1,2", "{1,,2}", "{a}", "{1.5}", "{1, 2}", "{\"x\"}"})
        EXPECT_THROW(parse_int_array(s), Error) << s;
}

TEST(TableList, CutsFromRangeAreEqualWidthAndCoverAll) {
    EXPECT_EQ(cuts_from_range(1, 100, 4), (std::vector<int64_t>{26, 51, 76}));
    EXPECT_EQ(cuts_from_range(0, 3, 4), (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(cuts_from_range(0, 1, 4), (std::vector<int64_t>{1}));  // only 2 values
    EXPECT_TRUE(cuts_from_range(5, 5, 4).empty());
    auto parts = key_parts(big_table(), "id", cuts_from_range(-50, 50, 7));
    EXPECT_EQ(parts.size(), 7u);
    expect_exact_cover(parts, -200, 200);
}

TEST(TableList, CutsFromRangeDoNotOverflow) {
    int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    auto cuts = cuts_from_range(lo, hi, 4);
    ASSERT_EQ(cuts.size(), 3u);
    EXPECT_LT(cuts[0], cuts[1]);
    EXPECT_LT(cuts[1], cuts[2]);
    EXPECT_EQ(cuts[1], 0);
}

TEST(TableList, CutsFromHistogramFollowTheDistribution) {
    // 4 equal-frequency buckets; half of the rows are below 10.
    std::vector<int64_t> b{0, 5, 10, 1000, 100000};
    EXPECT_EQ(cuts_from_histogram(b, 2), (std::vector<int64_t>{10}));
    EXPECT_EQ(cuts_from_histogram(b, 4), (std::vector<int64_t>{5, 10, 1000}));
    // Interpolation inside a bucket.
    EXPECT_EQ(cuts_from_histogram({0, 100}, 4), (std::vector<int64_t>{25, 50, 75}));
    // Too few distinct values: fewer cuts, still strictly increasing.
    EXPECT_EQ(cuts_from_histogram({1, 1, 1, 2}, 4), (std::vector<int64_t>{}));
    EXPECT_EQ(cuts_from_histogram({1, 2, 2, 2, 3}, 4), (std::vector<int64_t>{2}));
    expect_exact_cover(key_parts(big_table(), "id", cuts_from_histogram(b, 8)), -10, 2000);
}

TEST(TableList, HistogramUsable) {
    EXPECT_TRUE(histogram_usable({1, 50, 100}, 1, 100));
    EXPECT_TRUE(histogram_usable({5, 50, 95}, 1, 100));
    EXPECT_FALSE(histogram_usable({1, 5, 10}, 1, 100));  // stale: the table grew
    EXPECT_FALSE(histogram_usable({7}, 1, 100));
    EXPECT_FALSE(histogram_usable({}, 1, 100));
}

TEST(TableList, KeyPartsShareBytesAndRows) {
    auto parts = key_parts(big_table(), "id", {10, 20});
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].lo, "-");
    EXPECT_EQ(parts[0].hi, "10");
    EXPECT_EQ(parts[1].lo, "10");
    EXPECT_EQ(parts[1].hi, "20");
    EXPECT_EQ(parts[2].lo, "20");
    EXPECT_EQ(parts[2].hi, "-");
    int64_t bytes = 0, rows = 0;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(parts[i].part, i + 1);
        EXPECT_EQ(parts[i].parts, 3);
        EXPECT_EQ(parts[i].method, "key");
        EXPECT_EQ(parts[i].key, "id");
        bytes += parts[i].bytes;
        rows += parts[i].rows;
    }
    EXPECT_EQ(bytes, 1000);
    EXPECT_EQ(rows, 103);
    // The first part takes the NULL keys.
    EXPECT_EQ(parts[0].predicate(), "(\"id\" < 10 OR \"id\" IS NULL)");
    EXPECT_EQ(parts[2].predicate(), "\"id\" >= 20");
    // No cuts: the whole table, unchanged.
    auto one = key_parts(big_table(), "id", {});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_TRUE(one[0].whole());
}

TEST(TableList, CtidPartsCoverEveryPage) {
    auto parts = ctid_parts(big_table(), 10, 4);
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_EQ(parts[0].lo, "-");
    EXPECT_EQ(parts[0].hi, "2");
    EXPECT_EQ(parts[1].lo, "2");
    EXPECT_EQ(parts[1].hi, "5");
    EXPECT_EQ(parts[3].hi, "-");
    expect_exact_cover(parts, 0, 100);  // blocks, and blocks added later
    EXPECT_EQ(parts[1].predicate(), "ctid >= '(2,0)'::tid AND ctid < '(5,0)'::tid");
    // No more parts than pages; a one-page table is not split.
    EXPECT_EQ(ctid_parts(big_table(), 3, 8).size(), 3u);
    EXPECT_TRUE(ctid_parts(big_table(), 1, 8)[0].whole());
    EXPECT_TRUE(ctid_parts(big_table(), 0, 8)[0].whole());
}

TEST(TableList, SortLargestFirstKeepsPartsTogether) {
    WorkItem a = big_table(), b = big_table(), c = big_table();
    a.name = "a"; a.bytes = 10;
    b.name = "b"; b.bytes = 30;
    c.name = "c"; c.bytes = 40;
    std::vector<WorkItem> items{a, b};
    for (auto& p : key_parts(c, "id", {5})) items.push_back(p);  // two parts of 20
    sort_largest_first(items);
    ASSERT_EQ(items.size(), 4u);
    EXPECT_EQ(items[0].name, "b");
    EXPECT_EQ(items[1].name, "c");
    EXPECT_EQ(items[1].part, 1);
    EXPECT_EQ(items[2].part, 2);
    EXPECT_EQ(items[3].name, "a");
}

TEST(TableList, FilterPredicate) {
    TableFilters f;
    EXPECT_EQ(filter_predicate(f, "n", "c"), "true");
    f.include_schema = {"Public"};
    EXPECT_EQ(filter_predicate(f, "n", "c"), "((n.nspname OPERATOR(pg_catalog.~) '^(public)$'))");
    f.exclude_table = {"s.t*", "x"};
    EXPECT_EQ(filter_predicate(f, "n", "c"),
              "((n.nspname OPERATOR(pg_catalog.~) '^(public)$') AND NOT "
              "((n.nspname OPERATOR(pg_catalog.~) '^(s)$' AND c.relname OPERATOR(pg_catalog.~) "
              "'^(t.*)$') OR (pg_catalog.pg_table_is_visible(c.oid) AND c.relname "
              "OPERATOR(pg_catalog.~) '^(x)$')))");
    // Include-table patterns override the schema patterns, as in pg_dump.
    TableFilters t;
    t.include_schema = {"a"};
    t.exclude_schema = {"b"};
    t.include_table = {"\"It's\""};
    EXPECT_EQ(filter_predicate(t, "n", "c"),
              "(((pg_catalog.pg_table_is_visible(c.oid) AND c.relname OPERATOR(pg_catalog.~) "
              "'^(It''s)$')))");
    EXPECT_FALSE(t.includes_blobs());
    TableFilters bad;
    bad.include_table = {"a.b.c"};
    EXPECT_THROW(filter_predicate(bad, "n", "c"), Error);
}

// The selection of a clone: relkinds, exclusions and the owned-sequence rule,
// with the filters applied to the relation itself and to a sequence's owner.
TEST(TableList, SelectedRelationPredicate) {
    TableFilters f;
    f.include_table = {"app.t"};
    std::string p = selected_relation_predicate(f, "n", "c");
    EXPECT_NE(p.find("c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,f,v,m,S}'"), std::string::npos) << p;
    EXPECT_NE(p.find("c.relpersistence OPERATOR(pg_catalog.<>) 't'"), std::string::npos);
    EXPECT_NE(p.find("n.nspname OPERATOR(pg_catalog.!~) '^pg_'"), std::string::npos);
    EXPECT_NE(p.find("deptype OPERATOR(pg_catalog.=) 'e'"), std::string::npos);
    // The pattern is applied to the relation and to the owner of a sequence.
    EXPECT_NE(p.find("(n.nspname OPERATOR(pg_catalog.~) '^(app)$' AND c.relname OPERATOR(pg_catalog.~) '^(t)$')"),
              std::string::npos);
    EXPECT_NE(p.find("(fdwcopy_on.nspname OPERATOR(pg_catalog.~) '^(app)$' AND fdwcopy_oc.relname "
                     "OPERATOR(pg_catalog.~) '^(t)$')"),
              std::string::npos);
    EXPECT_NE(p.find("ANY ('{a,i}'::pg_catalog.\"char\"[])"), std::string::npos);
    // Balanced parentheses: the expression can be ANDed into any WHERE.
    int depth = 0;
    for (char ch : p) {
        depth += ch == '(';
        depth -= ch == ')';
        ASSERT_GE(depth, 0);
    }
    EXPECT_EQ(depth, 0);
    TableFilters bad;
    bad.exclude_schema = {"a.b"};
    EXPECT_THROW(selected_relation_predicate(bad, "n", "c"), Error);
}

TEST(TableList, RelationLine) {
    Relation r{16384, 'S', "app", "We\tird"};
    EXPECT_EQ(format_relation_line(r), "16384\tS\tapp\tWe\\tird");
}
