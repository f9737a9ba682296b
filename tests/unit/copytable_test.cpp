// Unit tests for lib/copytable: the COPY statements of both sides and the
// bounded chunk hand-over between the reader and the writer thread.
#include <gtest/gtest.h>

#include <thread>

#include "copytable.h"
#include "log.h"

using namespace fdwcopy;

namespace {
WorkItem item(const std::string& method = "-") {
    WorkItem w;
    w.schema = "My Schema";
    w.name = "t\"x";
    if (method == "key") {
        w.parts = 2;
        w.method = "key";
        w.key = "id";
        w.hi = "100";
    } else if (method == "ctid") {
        w.parts = 2;
        w.part = 2;
        w.method = "ctid";
        w.lo = "10";
    }
    return w;
}
}  // namespace

TEST(CopyTable, SourceSql) {
    EXPECT_EQ(source_copy_sql(item(), {"a", "B c"}, true),
              "COPY \"My Schema\".\"t\"\"x\" (\"a\", \"B c\") TO STDOUT (FORMAT binary)");
    EXPECT_EQ(source_copy_sql(item(), {}, false), "COPY \"My Schema\".\"t\"\"x\" TO STDOUT");
    EXPECT_EQ(source_copy_sql(item("key"), {"id"}, false),
              "COPY (SELECT \"id\" FROM ONLY \"My Schema\".\"t\"\"x\" WHERE (\"id\" < 100 OR \"id\" IS NULL)) TO STDOUT");
    EXPECT_EQ(source_copy_sql(item("ctid"), {"a"}, true),
              "COPY (SELECT \"a\" FROM ONLY \"My Schema\".\"t\"\"x\" WHERE ctid >= '(10,0)'::tid) TO STDOUT "
              "(FORMAT binary)");
}

TEST(CopyTable, TargetSql) {
    EXPECT_EQ(target_copy_sql(item(), {"a"}, true, true),
              "COPY \"My Schema\".\"t\"\"x\" (\"a\") FROM STDIN (FORMAT binary, FREEZE)");
    EXPECT_EQ(target_copy_sql(item(), {"a"}, false, true), "COPY \"My Schema\".\"t\"\"x\" (\"a\") FROM STDIN (FREEZE)");
    EXPECT_EQ(target_copy_sql(item(), {"a"}, true, false), "COPY \"My Schema\".\"t\"\"x\" (\"a\") FROM STDIN (FORMAT binary)");
    EXPECT_EQ(target_copy_sql(item(), {}, false, false), "COPY \"My Schema\".\"t\"\"x\" FROM STDIN");
}

TEST(CopyTable, ParseFormat) {
    EXPECT_EQ(parse_copy_format("auto"), CopyFormat::Auto);
    EXPECT_EQ(parse_copy_format("text"), CopyFormat::Text);
    EXPECT_EQ(parse_copy_format("binary"), CopyFormat::Binary);
    EXPECT_THROW(parse_copy_format("csv"), Error);
}

TEST(ChunkPipe, PassesEveryByteInOrderWithBoundedChunks) {
    ChunkPipe pipe(3, 16);
    std::string sent, got;
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i) {
            std::string* c = pipe.acquire();
            ASSERT_NE(c, nullptr);
            ASSERT_TRUE(c->empty());
            *c = std::to_string(i) + ",";
            sent += *c;
            pipe.push(c);
        }
        pipe.finish();
    });
    std::vector<std::string*> seen;
    while (std::string* c = pipe.pop(-1, nullptr)) {
        got += *c;
        if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
        pipe.release(c);
    }
    producer.join();
    EXPECT_EQ(got, sent);
    EXPECT_LE(seen.size(), 3u);  // the same three buffers, reused
}

TEST(ChunkPipe, AbortStopsTheProducerAndTimeoutsReport) {
    ChunkPipe pipe(1, 16);
    bool timed_out = false;
    EXPECT_EQ(pipe.pop(10, &timed_out), nullptr);
    EXPECT_TRUE(timed_out);
    std::string* c = pipe.acquire();
    pipe.push(c);
    std::thread producer([&] { EXPECT_EQ(pipe.acquire(), nullptr); });  // blocks: no free chunk
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pipe.abort();
    producer.join();
}

TEST(ChunkPipe, GivesBackMemoryOfAnOversizedChunk) {
    ChunkPipe pipe(1, 16);
    std::string* c = pipe.acquire();
    c->assign(1000, 'x');
    pipe.push(c);
    std::string* got = pipe.pop(-1, nullptr);
    pipe.release(got);
    std::string* again = pipe.acquire();
    EXPECT_LT(again->capacity(), 1000u);
}

TEST(CopyTable, ItemErrorTidiesLibpqMessages) {
    Error lost("source: server closed the connection unexpectedly\n\tThis probably means the server "
               "terminated abnormally\n\tbefore or while processing the request.");
    Error e = item_error("could not copy table \"public.t\": ", lost);
    EXPECT_STREQ(e.what(), "could not copy table \"public.t\": source: server closed the connection unexpectedly");
    EXPECT_EQ(e.detail, "");
    Error dup("target: ERROR:  duplicate key value violates unique constraint \"t_pkey\"\n"
              "DETAIL:  Key (id)=(1) already exists.\nCONTEXT:  COPY t, line 2\nHINT:  Look.");
    e = item_error("x: ", dup);
    EXPECT_STREQ(e.what(), "x: target: ERROR:  duplicate key value violates unique constraint \"t_pkey\"");
    EXPECT_EQ(e.detail, "Key (id)=(1) already exists. CONTEXT:  COPY t, line 2");
    EXPECT_EQ(e.hint, "Look.");
    Error own("boom", 1, "d", "h");
    e = item_error("p: ", own);
    EXPECT_STREQ(e.what(), "p: boom");
    EXPECT_EQ(e.detail, "d");
    EXPECT_EQ(e.hint, "h");
}

TEST(CopyTable, EmptyTargetTable) {
    TargetTable t;
    EmptyStep e = empty_target_table("\"s\".\"t\"", t);
    EXPECT_EQ(e.sql, "TRUNCATE ONLY \"s\".\"t\"");
    EXPECT_TRUE(e.freeze);
    t.relkind = 'p';  // partitioned: reach the partitions, no FREEZE
    e = empty_target_table("\"s\".\"t\"", t);
    EXPECT_EQ(e.sql, "TRUNCATE \"s\".\"t\"");
    EXPECT_FALSE(e.freeze);
    t.referenced = true;
    e = empty_target_table("\"s\".\"t\"", t);
    EXPECT_EQ(e.sql, "DELETE FROM \"s\".\"t\"");
    EXPECT_FALSE(e.freeze);
    t.relkind = 'r';
    e = empty_target_table("\"s\".\"t\"", t);
    EXPECT_EQ(e.sql, "DELETE FROM ONLY \"s\".\"t\"");
    EXPECT_FALSE(e.freeze);
    t.relkind = 'p';
    t.foreign_partitions = "s.archive";
    try {
        empty_target_table("\"s\".\"t\"", t);
        FAIL() << "no error";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("has foreign partitions (s.archive)"), std::string::npos) << err.what();
    }
    t.relkind = 'v';
    EXPECT_THROW(empty_target_table("\"s\".\"t\"", t), Error);
}
