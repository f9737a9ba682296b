// Unit tests for lib/snapshot: the replication slot names snapshot-hold
// --slot accepts (PostgreSQL's ReplicationSlotValidateName).
#include <gtest/gtest.h>

#include "snapshot.h"

using fdwcopy::valid_slot_name;

TEST(ValidSlotName, AcceptsLowerCaseDigitsUnderscore) {
    EXPECT_TRUE(valid_slot_name("fdwcopy_0a1b2c3d4e5f"));
    EXPECT_TRUE(valid_slot_name("a"));
    EXPECT_TRUE(valid_slot_name(std::string(63, 'x')));
}

TEST(ValidSlotName, RefusesEmptyLongAndOtherCharacters) {
    EXPECT_FALSE(valid_slot_name(""));
    EXPECT_FALSE(valid_slot_name(std::string(64, 'x')));
    EXPECT_FALSE(valid_slot_name("Bad-Name"));
    EXPECT_FALSE(valid_slot_name("has space"));
    EXPECT_FALSE(valid_slot_name("x\"; DROP"));
    EXPECT_FALSE(valid_slot_name("upperCASE"));
}
