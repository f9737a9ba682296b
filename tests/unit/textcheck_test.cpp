// Unit tests for lib/textcheck: NUL and UTF-8 validity, across piece
// boundaries, with the offsets that the messages name.
#include <gtest/gtest.h>

#include "textcheck.h"

using namespace fdwcopy;

namespace {
// Feeds s one byte at a time; returns "OFFSET: WHY" of the first bad byte
// (the offset of the broken character's first byte), or "" when s is good.
std::string first_bad(const std::string& s, bool utf8 = true) {
    TextCheck c(utf8);
    std::string why;
    for (size_t i = 0; i < s.size(); ++i) {
        size_t back = 0;
        if (c.feed(s.data() + i, 1, &why, &back) == 0) return std::to_string(i - back) + ": " + why;
    }
    if (!c.finish(&why)) return "end: " + why;
    return "";
}
}  // namespace

TEST(TextCheck, ValidUtf8) {
    EXPECT_EQ(first_bad("plain ascii\n"), "");
    EXPECT_EQ(first_bad("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf"), "");
}

TEST(TextCheck, InvalidUtf8) {
    EXPECT_EQ(first_bad("ab\xff"), "2: invalid UTF-8 byte sequence 0xff");
    EXPECT_EQ(first_bad("\x80"), "0: invalid UTF-8 byte sequence 0x80");
    EXPECT_EQ(first_bad("\xc1\xbf"), "0: invalid UTF-8 byte sequence 0xc1");          // overlong
    EXPECT_EQ(first_bad("x\xe0\x80\x80"), "1: invalid UTF-8 byte sequence 0xe0 0x80");  // overlong
    EXPECT_EQ(first_bad("\xed\xbf\xbf"), "0: invalid UTF-8 byte sequence 0xed 0xbf");   // surrogate
    EXPECT_EQ(first_bad("\xf4\x90\x80\x80"), "0: invalid UTF-8 byte sequence 0xf4 0x90");  // > U+10FFFF
    EXPECT_EQ(first_bad("\xf5\x80"), "0: invalid UTF-8 byte sequence 0xf5");
    EXPECT_EQ(first_bad("ok\xe2\x82x"), "2: invalid UTF-8 byte sequence 0xe2 0x82 0x78");
    EXPECT_EQ(first_bad("\xe2\x82"), "end: incomplete UTF-8 byte sequence 0xe2 0x82 at the end of the input");
}

TEST(TextCheck, NulAlwaysRefused) {
    EXPECT_EQ(first_bad(std::string("a\0b", 3)), "1: NUL byte");
    EXPECT_EQ(first_bad(std::string("a\0b", 3), false), "1: NUL byte");
    EXPECT_EQ(first_bad("caf\xe9 \xff", false), "");
}

TEST(TextCheck, SwitchingOff) {
    TextCheck c;
    std::string why;
    EXPECT_EQ(c.feed("\xc3", 1, &why), std::string::npos);
    c.set_utf8(false);
    EXPECT_EQ(c.feed("\xe9\xff", 2, &why), std::string::npos);
    EXPECT_TRUE(c.finish(&why));
}

TEST(TextCheck, Message) {
    EXPECT_EQ(text_error_message(3, 57, "NUL byte"), "input line 3, byte offset 57: NUL byte");
}
