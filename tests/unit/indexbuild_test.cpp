// Unit tests for lib/indexbuild: collecting the parts of split tables. (The
// engine itself runs against real servers in tests/cli/35x-*.bats.)
#include <gtest/gtest.h>

#include "indexbuild.h"

using namespace fdwcopy;

namespace {
WorkItem part(uint32_t oid, int p, int n) {
    WorkItem w;
    w.oid = oid;
    w.schema = "public";
    w.name = "t" + std::to_string(oid);
    w.part = p;
    w.parts = n;
    w.method = n > 1 ? "ctid" : "-";
    return w;
}
}  // namespace

TEST(PartTracker, WholeTableIsCompleteAtOnce) {
    PartTracker t;
    EXPECT_EQ(t.add(part(1, 1, 1)), PartTracker::Added::Complete);
    EXPECT_EQ(t.add(part(1, 1, 1)), PartTracker::Added::Duplicate);
    EXPECT_TRUE(t.incomplete().empty());
}

TEST(PartTracker, SplitTableInAnyOrder) {
    PartTracker t;
    EXPECT_EQ(t.add(part(7, 3, 4)), PartTracker::Added::Incomplete);
    EXPECT_EQ(t.add(part(8, 1, 1)), PartTracker::Added::Complete);  // tables interleave
    EXPECT_EQ(t.add(part(7, 1, 4)), PartTracker::Added::Incomplete);
    EXPECT_EQ(t.add(part(7, 1, 4)), PartTracker::Added::Duplicate);
    EXPECT_EQ(t.add(part(7, 4, 4)), PartTracker::Added::Incomplete);
    ASSERT_EQ(t.incomplete().size(), 1u);
    EXPECT_EQ(t.incomplete()[0], "public.t7 (3 of 4 parts)");
    EXPECT_EQ(t.add(part(7, 2, 4)), PartTracker::Added::Complete);
    EXPECT_TRUE(t.incomplete().empty());
}

TEST(PartTracker, PartCountMismatchIsIgnored) {
    PartTracker t;
    EXPECT_EQ(t.add(part(9, 1, 2)), PartTracker::Added::Incomplete);
    EXPECT_EQ(t.add(part(9, 3, 3)), PartTracker::Added::Mismatch);
    EXPECT_EQ(t.add(part(9, 2, 2)), PartTracker::Added::Complete);
}
