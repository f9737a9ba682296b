// Unit tests for lib/itemsource: lines handed out once each across workers,
// and stop() ending the hand-out.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "itemsource.h"

using namespace fdwcopy;

TEST(ItemSource, EachLineOnceAcrossWorkers) {
    std::vector<std::string> items;
    for (int i = 0; i < 500; ++i) items.push_back("item " + std::to_string(i));
    ItemSource src(items);
    std::mutex mu;
    std::multiset<std::string> seen;
    run_workers(4, [&](int) {
        std::string l;
        while (src.next(&l)) {
            std::lock_guard<std::mutex> lk(mu);
            seen.insert(l);
        }
    });
    EXPECT_EQ(seen.size(), items.size());
    for (auto& i : items) EXPECT_EQ(seen.count(i), 1u) << i;
}

TEST(ItemSource, StopEndsTheHandOut) {
    std::vector<std::string> items = {"a", "b", "c"};
    ItemSource src(items);
    std::string l;
    ASSERT_TRUE(src.next(&l));
    EXPECT_EQ(l, "a");
    src.stop();
    EXPECT_FALSE(src.next(&l));
}

TEST(ItemSource, RunWorkersRunsEachIndexOnce) {
    std::atomic<int> mask{0};
    run_workers(3, [&](int i) { mask.fetch_or(1 << i); });
    EXPECT_EQ(mask.load(), 7);
    int calls = 0;
    run_workers(1, [&](int i) { calls += 1 + i; });
    EXPECT_EQ(calls, 1);
}
