// Unit tests for lib/indexcatalog: statements, done entries, the rerun rule,
// memory sizes. (The catalog queries are tested against real servers in
// tests/cli/350-index-build.bats.)
#include <gtest/gtest.h>

#include "indexcatalog.h"
#include "log.h"

using namespace fdwcopy;

namespace {
IndexDef plain() {
    IndexDef d;
    d.table_oid = 100;
    d.schema = "public";
    d.table = "film";
    d.index_oid = 200;
    d.index = "idx_title";
    d.indexdef = "CREATE INDEX idx_title ON public.film USING btree (title)";
    return d;
}
IndexDef pkey() {
    IndexDef d = plain();
    d.index = "film_pkey";
    d.indexdef = "CREATE UNIQUE INDEX film_pkey ON public.film USING btree (film_id)";
    d.contype = 'p';
    d.constraint_oid = 300;
    d.constraint = "film_pkey";
    return d;
}
TargetIndex existing(const IndexDef& d) {
    TargetIndex t;
    t.schema = t.table_schema = d.schema;
    t.index = d.index;
    t.table = d.table;
    t.valid = true;
    t.indexdef = d.indexdef;
    t.contype = d.contype;
    t.constraint = d.constraint;
    t.deferrable = d.deferrable;
    t.deferred = d.deferred;
    return t;
}
}  // namespace

TEST(IndexCatalog, DoneEntries) {
    DoneEntry i = plain().done_entry();
    EXPECT_EQ(format_done_line(i), "1259\t200\tINDEX\tpublic\tidx_title");
    DoneEntry c = pkey().done_entry();
    EXPECT_EQ(format_done_line(c), "2606\t300\tCONSTRAINT\tpublic\tfilm_pkey");
    EXPECT_EQ(plain().label(), "index \"public\".\"idx_title\"");
    EXPECT_EQ(pkey().label(), "constraint \"film_pkey\" on \"public\".\"film\"");
}

TEST(IndexCatalog, BuildStep) {
    BuildStep b = build_step(plain());
    ASSERT_EQ(b.stmts.size(), 1u);
    EXPECT_EQ(b.stmts[0], plain().indexdef);
    EXPECT_FALSE(b.transaction);
    IndexDef d = plain();
    d.tablespace = "Fast Disk";
    b = build_step(d);
    ASSERT_EQ(b.stmts.size(), 2u);
    EXPECT_EQ(b.stmts[0], "SET LOCAL default_tablespace = \"Fast Disk\"");
    EXPECT_EQ(b.stmts[1], d.indexdef);
    EXPECT_TRUE(b.transaction);
}

TEST(IndexCatalog, FinishPlainIndex) {
    EXPECT_TRUE(finish_statements(plain()).empty());
    IndexDef d = plain();
    d.stat_targets = {{2, 500}};
    d.extensions = {"my ext"};
    d.clustered = true;
    d.replident = true;
    auto s = finish_statements(d);
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0], "ALTER INDEX \"public\".\"idx_title\" ALTER COLUMN 2 SET STATISTICS 500");
    EXPECT_EQ(s[1], "ALTER INDEX \"public\".\"idx_title\" DEPENDS ON EXTENSION \"my ext\"");
    EXPECT_EQ(s[2], "ALTER TABLE \"public\".\"film\" CLUSTER ON \"idx_title\"");
    EXPECT_EQ(s[3], "ALTER TABLE ONLY \"public\".\"film\" REPLICA IDENTITY USING INDEX \"idx_title\"");
    EXPECT_EQ(cleanup_statement(d), "DROP INDEX IF EXISTS \"public\".\"idx_title\"");
}

TEST(IndexCatalog, FinishConstraints) {
    auto s = finish_statements(pkey());
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], "ALTER TABLE ONLY \"public\".\"film\" ADD CONSTRAINT \"film_pkey\" PRIMARY KEY USING INDEX \"film_pkey\"");

    IndexDef u = pkey();
    u.contype = 'u';
    u.constraint = "film \"uq\"";
    u.deferrable = u.deferred = true;
    u.clustered = true;
    u.stat_targets = {{1, 10}};  // not for constraints (no expression columns)
    s = finish_statements(u);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0], "ALTER TABLE ONLY \"public\".\"film\" ADD CONSTRAINT \"film \"\"uq\"\"\" UNIQUE USING INDEX "
                    "\"film_pkey\" DEFERRABLE INITIALLY DEFERRED");
    // After USING INDEX the index has the constraint's name.
    EXPECT_EQ(s[1], "ALTER TABLE \"public\".\"film\" CLUSTER ON \"film \"\"uq\"\"\"");

    u.deferred = false;
    EXPECT_NE(finish_statements(u)[0].find("UNIQUE USING INDEX \"film_pkey\" DEFERRABLE"), std::string::npos);
    EXPECT_EQ(finish_statements(u)[0].find("INITIALLY"), std::string::npos);

    s = finish_statements(u, /*constraint_exists=*/true);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], "ALTER TABLE \"public\".\"film\" CLUSTER ON \"film \"\"uq\"\"\"");
}

TEST(IndexCatalog, PlanNothingOnTarget) {
    ObjectPlan p = plan_object(plain(), nullptr);
    EXPECT_TRUE(p.build);
    EXPECT_TRUE(p.drop.empty());
    EXPECT_FALSE(p.reused());
}

TEST(IndexCatalog, PlanKeepsValidSameIndex) {
    TargetIndex t = existing(plain());
    ObjectPlan p = plan_object(plain(), &t);
    EXPECT_FALSE(p.build);
    EXPECT_TRUE(p.drop.empty());
    EXPECT_TRUE(p.reused());

    TargetIndex c = existing(pkey());
    p = plan_object(pkey(), &c);
    EXPECT_FALSE(p.build);
    EXPECT_TRUE(p.constraint_exists);

    c.contype = 0;  // index built, constraint not added yet
    c.constraint.clear();
    p = plan_object(pkey(), &c);
    EXPECT_FALSE(p.build);
    EXPECT_FALSE(p.constraint_exists);
    EXPECT_TRUE(p.drop.empty());
}

TEST(IndexCatalog, PlanReindexesInvalidSameIndex) {
    TargetIndex t = existing(plain());
    t.valid = false;
    ObjectPlan p = plan_object(plain(), &t);
    EXPECT_TRUE(p.build);
    EXPECT_TRUE(p.reindex);
    EXPECT_TRUE(p.drop.empty());
    BuildStep b = reindex_step(plain());
    ASSERT_EQ(b.stmts.size(), 1u);
    EXPECT_EQ(b.stmts[0], "REINDEX INDEX \"public\".\"idx_title\"");
    EXPECT_FALSE(b.transaction);

    TargetIndex c = existing(pkey());
    c.valid = false;
    p = plan_object(pkey(), &c);
    EXPECT_TRUE(p.reindex);
    EXPECT_TRUE(p.constraint_exists);
}

TEST(IndexCatalog, PlanRebuildsDifferent) {
    TargetIndex t = existing(plain());
    t.indexdef = "CREATE INDEX idx_title ON public.film USING hash (title)";
    ObjectPlan p = plan_object(plain(), &t);
    EXPECT_TRUE(p.build);
    EXPECT_FALSE(p.reindex);
    ASSERT_EQ(p.drop.size(), 1u);
    EXPECT_EQ(p.drop[0], "DROP INDEX \"public\".\"idx_title\"");

    t = existing(plain());
    t.table = "other";
    EXPECT_TRUE(plan_object(plain(), &t).build);

    TargetIndex c = existing(pkey());
    c.deferrable = true;  // another constraint under that name
    p = plan_object(pkey(), &c);
    EXPECT_TRUE(p.build);
    ASSERT_EQ(p.drop.size(), 1u);
    EXPECT_EQ(p.drop[0], "ALTER TABLE ONLY \"public\".\"film\" DROP CONSTRAINT \"film_pkey\"");

    c = existing(pkey());  // a plain index in the source, a constraint on the target
    IndexDef d = pkey();
    d.contype = 0;
    d.constraint.clear();
    p = plan_object(d, &c);
    EXPECT_TRUE(p.build);
    EXPECT_EQ(p.drop[0], "ALTER TABLE ONLY \"public\".\"film\" DROP CONSTRAINT \"film_pkey\"");
}

TEST(IndexCatalog, MemorySizes) {
    EXPECT_EQ(parse_memory_size("256MB"), int64_t(256) << 20);
    EXPECT_EQ(parse_memory_size("1GB"), int64_t(1) << 30);
    EXPECT_EQ(parse_memory_size("1 gb"), int64_t(1) << 30);
    EXPECT_EQ(parse_memory_size("64kB"), 65536);
    EXPECT_EQ(parse_memory_size("2TB"), int64_t(2) << 40);
    EXPECT_EQ(parse_memory_size("1000"), 1000);
    EXPECT_EQ(parse_memory_size("1000B"), 1000);
    EXPECT_THROW(parse_memory_size(""), Error);
    EXPECT_THROW(parse_memory_size("MB"), Error);
    EXPECT_THROW(parse_memory_size("-1MB"), Error);
    EXPECT_THROW(parse_memory_size("1.5GB"), Error);
    EXPECT_THROW(parse_memory_size("12 parsecs"), Error);
    EXPECT_THROW(parse_memory_size("99999999999TB"), Error);
    try {
        parse_memory_size("lots");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code, 2);
        EXPECT_NE(std::string(e.what()).find("\"lots\""), std::string::npos);
    }
}

TEST(IndexCatalog, SessionWorkMem) {
    EXPECT_EQ(session_work_mem_kb(int64_t(256) << 20, 1), 262144);
    EXPECT_EQ(session_work_mem_kb(int64_t(256) << 20, 4), 65536);
    EXPECT_EQ(session_work_mem_kb(int64_t(1) << 20, 8), 1024);  // the server's minimum
    EXPECT_EQ(session_work_mem_kb(int64_t(8) << 40, 1), 2147483647);
    EXPECT_EQ(session_work_mem_kb(int64_t(64) << 20, 0), 65536);
}

TEST(IndexCatalog, TargetIndexQueryQuotesNames) {
    std::string q = target_index_query({{"public", "idx"}, {"Odd Schema", "it's"}});
    EXPECT_NE(q.find("IN (('public', 'idx'), ('Odd Schema', 'it''s'))"), std::string::npos);
    EXPECT_NE(target_index_query({}).find("IN ((NULL, NULL))"), std::string::npos);
}
