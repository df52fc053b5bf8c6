#include "common/utf8.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace chat {
namespace {

// One decoded code point and the bytes it took; length 0 if `text` does not start with a
// well-formed sequence (or is empty).
struct CodePoint {
  char32_t value = 0;
  size_t length = 0;
};

CodePoint DecodeFirst(absl::string_view text) {
  if (text.empty()) {
    return {};
  }
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) {
    return {lead, 1};
  }
  size_t length = 0;
  char32_t value = 0;
  char32_t min_value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    value = lead & 0x1F;
    min_value = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    value = lead & 0x0F;
    min_value = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    value = lead & 0x07;
    min_value = 0x10000;
  } else {
    return {};
  }
  if (text.size() < length) {
    return {};
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return {};
    }
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return {};
  }
  return {value, length};
}

// How many bytes at the start of `text` are ASCII. Chat text is mostly ASCII, so this
// looks at eight bytes at a time before decoding anything.
size_t AsciiPrefixLength(absl::string_view text) {
  constexpr uint64_t kHighBits = 0x8080808080808080u;
  size_t i = 0;
  for (; i + sizeof(uint64_t) <= text.size(); i += sizeof(uint64_t)) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof(word));
    if ((word & kHighBits) != 0) {
      break;
    }
  }
  while (i < text.size() && static_cast<uint8_t>(text[i]) < 0x80) {
    ++i;
  }
  return i;
}

}  // namespace

size_t Utf8SequenceLength(absl::string_view text) { return DecodeFirst(text).length; }

bool IsValidUtf8(absl::string_view text) { return CountCodePoints(text).has_value(); }

std::optional<size_t> CountCodePoints(absl::string_view text) {
  size_t count = 0;
  while (!text.empty()) {
    const size_t ascii = AsciiPrefixLength(text);
    count += ascii;
    text.remove_prefix(ascii);
    if (text.empty()) {
      break;
    }
    const size_t length = DecodeFirst(text).length;
    if (length == 0) {
      return std::nullopt;
    }
    ++count;
    text.remove_prefix(length);
  }
  return count;
}

bool HasControlCharacters(absl::string_view text, bool allow_newline_tab) {
  while (!text.empty()) {
    const CodePoint code = DecodeFirst(text);
    if (code.length == 0) {
      return true;  // callers validate UTF-8 first; malformed text is never "clean"
    }
    text.remove_prefix(code.length);
    if (allow_newline_tab && (code.value == '\n' || code.value == '\t')) {
      continue;
    }
    if (code.value < 0x20 || (code.value >= 0x7F && code.value <= 0x9F)) {
      return true;
    }
  }
  return false;
}

std::string SanitizeUtf8(absl::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    const size_t length = DecodeFirst(text).length;
    const size_t step = length == 0 ? 1 : length;  // an invalid byte becomes one '?'
    if (out.size() + step > max_bytes) {
      break;
    }
    if (length == 0) {
      out.push_back('?');
    } else {
      out.append(text.data(), length);
    }
    text.remove_prefix(step);
  }
  return out;
}

}  // namespace chat
