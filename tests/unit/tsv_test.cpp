// Unit tests for lib/tsv: COPY-text escaping of work-stream fields.
#include <gtest/gtest.h>

#include "log.h"
#include "tsv.h"

using namespace fdwcopy;

TEST(Tsv, EscapesSpecials) {
    EXPECT_EQ(tsv_escape("a\tb\nc\\d\re"), "a\\tb\\nc\\\\d\\re");
    EXPECT_EQ(tsv_escape("plain"), "plain");
}

TEST(Tsv, RoundTripsEveryByte) {
    std::string all;
    for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
    EXPECT_EQ(tsv_unescape(tsv_escape(all)), all);
}

TEST(Tsv, SplitJoin) {
    std::vector<std::string> f{"tab\there", "new\nline", "", "back\\slash", "\"quoted\""};
    std::string line = tsv_join(f);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(tsv_split(line), f);
    EXPECT_EQ(tsv_split("").size(), 1u);
}

TEST(Tsv, TrailingBackslashIsError) { EXPECT_THROW(tsv_unescape("abc\\"), Error); }
