// Unit tests for lib/workitem: the work stream and result line formats.
#include <gtest/gtest.h>

#include "log.h"
#include "workitem.h"

using namespace fdwcopy;

TEST(WorkItem, RoundTrip) {
    WorkItem w;
    w.oid = 16384;
    w.schema = "my\tschema";
    w.name = "Tab \"x\"\n";
    w.bytes = 1 << 30;
    w.rows = 1000000;
    w.part = 2;
    w.parts = 4;
    w.method = "key";
    w.key = "id";
    w.lo = "100";
    w.hi = "200";
    std::string line = format_work_line(w);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    WorkItem back = parse_work_line(line);
    EXPECT_EQ(back.schema, w.schema);
    EXPECT_EQ(back.name, w.name);
    EXPECT_EQ(back.bytes, w.bytes);
    EXPECT_EQ(back.part, 2);
    EXPECT_EQ(format_work_line(back), line);
}

TEST(WorkItem, ResultLine) {
    ItemResult r;
    r.item.oid = 42;
    r.item.schema = "public";
    r.item.name = "t";
    r.rows = 10;
    r.bytes = 2048;
    r.seconds = 1.5;
    std::string line = format_result_line(r);
    EXPECT_NE(line.find("\t10\t2048\t1.500"), std::string::npos);
    ItemResult back = parse_result_line(line);
    EXPECT_EQ(back.rows, 10);
    EXPECT_EQ(back.bytes, 2048);
    EXPECT_DOUBLE_EQ(back.seconds, 1.5);
    EXPECT_EQ(parse_work_line(line).name, "t");  // a result line is also a work line
}

TEST(WorkItem, Predicates) {
    WorkItem w;
    EXPECT_EQ(w.predicate(), "");
    w.method = "key";
    w.key = "id";
    w.hi = "100";
    EXPECT_EQ(w.predicate(), "(\"id\" < 100 OR \"id\" IS NULL)");
    w.lo = "100";
    w.hi = "-";
    EXPECT_EQ(w.predicate(), "\"id\" >= 100");
    w.method = "ctid";
    w.lo = "0";
    w.hi = "128";
    EXPECT_EQ(w.predicate(), "ctid >= '(0,0)'::tid AND ctid < '(128,0)'::tid");
}

TEST(WorkItem, BadLinesNameTheProblem) {
    try {
        parse_work_line("table\t1\tpublic");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("3 fields"), std::string::npos);
    }
    EXPECT_EQ(parse_work_line("matview\t1\ts\tm\t0\t0\t1\t1\t-\t-\t-\t-").kind, "matview");
    EXPECT_THROW(parse_work_line("bogus\t1\ts\tn\t0\t0\t1\t1\t-\t-\t-\t-"), Error);
    EXPECT_THROW(parse_work_line("table\tx\ts\tn\t0\t0\t1\t1\t-\t-\t-\t-"), Error);
    EXPECT_THROW(parse_work_line("table\t1\ts\tn\t0\t0\t1\t1\tkey\tid\t1; DROP\t-"), Error);
    EXPECT_THROW(parse_work_line("table\t1\ts\tn\t0\t0\t3\t2\t-\t-\t-\t-"), Error);
}

TEST(WorkItem, ExtensionConfigCondition) {
    WorkItem w = parse_work_line("table\t16850\tpublic\tspatial_ref_sys\t0\t0\t1\t1\textconfig\t-\t-\t-");
    EXPECT_FALSE(w.whole());
    EXPECT_THROW(w.predicate(), Error);  // the condition is read from a catalog, never guessed
    w.condition_read = true;
    EXPECT_EQ(w.predicate(), "true");  // an empty extcondition: every row
    w.condition = "WHERE NOT (\nsrid BETWEEN 2000 AND 2217 -- a comment\n)";
    EXPECT_EQ(w.predicate(), "(NOT (\nsrid BETWEEN 2000 AND 2217 -- a comment\n)\n)");
    w.condition = "  where\tid > 10";
    EXPECT_EQ(w.predicate(), "(id > 10\n)");
    w.condition = "ORDER BY id";
    EXPECT_THROW(w.predicate(), Error);
    EXPECT_EQ(format_work_line(w), "table\t16850\tpublic\tspatial_ref_sys\t0\t0\t1\t1\textconfig\t-\t-\t-");
}
