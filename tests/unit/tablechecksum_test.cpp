// Unit tests for lib/tablechecksum: the per-item SQL (a key part checksums its
// range only, a page-range part is refused), statuses and the output line,
// without a server.
#include <gtest/gtest.h>

#include "tablechecksum.h"

using namespace fdwcopy;

namespace {
WorkItem item(const std::string& line) { return parse_work_line(line); }
}  // namespace

TEST(TableChecksum, TableSqlOverOnlyTheTable) {
    std::string sql = checksum_sql(item("table\t1\tpublic\tIt's\t0\t0\t1\t1\t-\t-\t-\t-"));
    EXPECT_EQ(sql,
              "SELECT pg_catalog.count(*)::pg_catalog.text, pg_catalog.md5(COALESCE(pg_catalog.sum(('x' "
              "OPERATOR(pg_catalog.||) pg_catalog.left(pg_catalog.md5(ROW(t.*)::pg_catalog.text), 16))"
              "::pg_catalog.bit(64)::pg_catalog.int8), 0)::pg_catalog.text) FROM ONLY \"public\".\"It's\" t");
}

TEST(TableChecksum, KeyPartChecksumsItsRangeOnly) {
    std::string first = checksum_sql(item("table\t1\ts\tt\t0\t0\t1\t3\tkey\tid\t-\t100"));
    EXPECT_NE(first.find(" WHERE (\"id\" < 100 OR \"id\" IS NULL)"), std::string::npos) << first;
    std::string mid = checksum_sql(item("table\t1\ts\tt\t0\t0\t2\t3\tkey\tid\t100\t200"));
    EXPECT_NE(mid.find(" WHERE \"id\" >= 100 AND \"id\" < 200"), std::string::npos) << mid;
}

TEST(TableChecksum, PageRangePartIsRefused) {
    try {
        checksum_sql(item("table\t1\ts\tt\t0\t0\t2\t3\tctid\t-\t10\t20"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("page-range part"), std::string::npos);
        EXPECT_NE(e.hint.find("whole"), std::string::npos);
    }
}

TEST(TableChecksum, OtherKinds) {
    EXPECT_EQ(checksum_sql(item("sequence\t1\ts\tq\t0\t1\t1\t1\t-\t-\t-\t-")),
              "SELECT last_value::pg_catalog.text, is_called::pg_catalog.text FROM \"s\".\"q\"");
    std::string mv = checksum_sql(item("matview\t1\ts\tm\t0\t1\t1\t1\t-\t-\t-\t-"));
    EXPECT_NE(mv.find("FROM \"s\".\"m\" t"), std::string::npos) << mv;
    EXPECT_EQ(mv.find("ONLY"), std::string::npos);
    std::string b = checksum_sql(item("blobs\t0\t-\t-\t0\t1\t1\t1\t-\t-\t-\t-"));
    EXPECT_NE(b.find("pg_catalog.lo_get(oid)"), std::string::npos);
    EXPECT_NE(b.find("FROM pg_catalog.pg_largeobject_metadata"), std::string::npos);
    EXPECT_EQ(item_relkind(item("table\t1\ts\tt\t0\t0\t1\t1\t-\t-\t-\t-")), 'r');
    EXPECT_EQ(item_relkind(item("matview\t1\ts\tt\t0\t0\t1\t1\t-\t-\t-\t-")), 'm');
    EXPECT_EQ(item_relkind(item("sequence\t1\ts\tt\t0\t0\t1\t1\t-\t-\t-\t-")), 'S');
    EXPECT_EQ(item_relkind(item("blobs\t0\t-\t-\t0\t0\t1\t1\t-\t-\t-\t-")), 0);
}

TEST(TableChecksum, Status) {
    SideSum a, b;
    a.value = b.value = "10";
    a.sum = b.sum = "abc";
    EXPECT_EQ(checksum_status(a, b), "equal");
    b.sum = "abd";
    EXPECT_EQ(checksum_status(a, b), "differ");
    b.sum = "abc";
    b.value = "11";
    EXPECT_EQ(checksum_status(a, b), "differ");
    SideSum gone;
    gone.found = false;
    EXPECT_EQ(checksum_status(a, gone), "missing");
    SideSum bad;
    bad.failed = true;
    EXPECT_EQ(checksum_status(bad, b), "error");
    EXPECT_EQ(checksum_status(a, bad), "error");
    // A materialized view populated on neither side is equal; on one only, not.
    SideSum u1, u2;
    u1.sum = u2.sum = "unpopulated";
    EXPECT_EQ(checksum_status(u1, u2), "equal");
    EXPECT_EQ(checksum_status(u1, a), "differ");
}

TEST(TableChecksum, SubjectAndLine) {
    ChecksumResult r;
    r.item = item("table\t1\tapp\tWe\\tird\t0\t0\t2\t4\tkey\tid\t1\t9");
    EXPECT_EQ(checksum_subject(r.item), "table \"app\".\"We\tird\" part 2/4");
    r.source.value = "5";
    r.source.sum = "s";
    r.target.found = false;
    r.status = checksum_status(r.source, r.target);
    EXPECT_EQ(format_checksum_line(r), "table\tapp\tWe\\tird\t2\t4\t5\ts\t-\t-\tmissing");
    EXPECT_EQ(checksum_subject(item("matview\t1\ts\tm\t0\t1\t1\t1\t-\t-\t-\t-")), "materialized view \"s\".\"m\"");
    EXPECT_EQ(checksum_subject(item("blobs\t0\t-\t-\t0\t1\t1\t1\t-\t-\t-\t-")), "large objects");
}
