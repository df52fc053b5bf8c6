#include "wsbridge/utf8.h"

#include <gtest/gtest.h>

namespace wsbridge {
namespace {

TEST(Utf8Test, SequenceLengths) {
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x9C\x93"), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("\x80"), 0u);              // continuation byte first
  EXPECT_EQ(Utf8SequenceLength("\xC3"), 0u);              // truncated
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80"), 0u);      // surrogate U+D800
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xFF"), 0u);
}

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain h\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("bad \xFF end"));
  EXPECT_FALSE(IsValidUtf8("cut \xE2\x9C"));
}

TEST(Utf8Test, SanitizeReplacesBadBytesAndCutsOnCharacterBoundaries) {
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b", 10), "a?b");
  EXPECT_EQ(SanitizeUtf8("abc", 2), "ab");
  // "é" is two bytes: a cut inside it drops it whole.
  EXPECT_EQ(SanitizeUtf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 7), "\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace wsbridge
