#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace chat {
namespace {

// `code_point` as UTF-8 by the textbook rule (surrogates included, so tests can refuse them).
std::string Encode(char32_t code_point) {
  std::string out;
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return out;
}

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

TEST(Utf8Test, RejectsOverlongsSurrogatesAndOutOfRange) {
  EXPECT_EQ(CountCodePoints("aé😀"), 3u);
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // U+D800 surrogate
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));      // U+DFFF surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));  // lead byte beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_EQ(CountCodePoints("\xE2\x82"), std::nullopt);
}

TEST(Utf8Test, EveryCodePointButSurrogatesIsOneValidCharacter) {
  for (char32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
    const std::string text = Encode(code_point);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    ASSERT_EQ(CountCodePoints(text), surrogate ? std::nullopt : std::optional<size_t>(1))
        << "U+" << std::hex << static_cast<uint32_t>(code_point);
    ASSERT_EQ(Utf8SequenceLength(text), surrogate ? 0 : text.size());
  }
}

// The validators skip ASCII eight bytes at a time: a bad byte is found wherever it sits
// in or after such a run, and characters are counted across the runs' edges.
TEST(Utf8Test, FindsBadBytesAtEveryOffsetOfAnAsciiRun) {
  for (size_t offset = 0; offset <= 24; ++offset) {
    std::string text(offset, 'a');
    EXPECT_EQ(CountCodePoints(text + "\xC3\xA9" + "bcdefghij"), offset + 10) << offset;
    EXPECT_FALSE(IsValidUtf8(text + "\xFF" + "bcdefghij")) << offset;
    EXPECT_FALSE(IsValidUtf8(text + "\xC3")) << offset;
    EXPECT_FALSE(IsValidUtf8(text + "\xED\xA0\x80" + "abcdefgh")) << offset;
  }
}

TEST(Utf8Test, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("plain h\xC3\xA9", /*allow_newline_tab=*/false));
  EXPECT_TRUE(HasControlCharacters("a\nb", /*allow_newline_tab=*/false));
  EXPECT_FALSE(HasControlCharacters("a\n\tb", /*allow_newline_tab=*/true));
  EXPECT_TRUE(HasControlCharacters("a\rb", /*allow_newline_tab=*/true));
  EXPECT_TRUE(HasControlCharacters("a\x7F", /*allow_newline_tab=*/true));       // DEL
  EXPECT_TRUE(HasControlCharacters("a\xC2\x85", /*allow_newline_tab=*/true));   // C1 U+0085
  EXPECT_FALSE(HasControlCharacters("a\xC2\xA0", /*allow_newline_tab=*/true));  // U+00A0
  EXPECT_TRUE(HasControlCharacters("a\xFF", /*allow_newline_tab=*/true));       // malformed
}

TEST(Utf8Test, SanitizeReplacesBadBytesAndCutsOnCharacterBoundaries) {
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b", 10), "a?b");
  EXPECT_EQ(SanitizeUtf8("abc", 2), "ab");
  // "é" is two bytes: a cut inside it drops it whole.
  EXPECT_EQ(SanitizeUtf8("a\xC3\xA9", 2), "a");
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 7), "\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace chat
