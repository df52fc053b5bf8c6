#include "roomd/utf8.h"

#include <cstdint>

namespace roomd {
namespace {

// Decodes one code point at text[*pos]; advances *pos. Returns -1 on malformed input.
int32_t DecodeOne(absl::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(*pos);
  if (lead < 0x80) {
    *pos += 1;
    return lead;
  }
  size_t length = 0;
  int32_t code = 0;
  int32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07;
    min = 0x10000;
  } else {
    return -1;
  }
  if (*pos + length > text.size()) {
    return -1;
  }
  for (size_t i = 1; i < length; ++i) {
    const uint8_t next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) {
      return -1;
    }
    code = (code << 6) | (next & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return -1;
  }
  *pos += length;
  return code;
}

}  // namespace

std::optional<size_t> CountCodePoints(absl::string_view text) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (DecodeOne(text, &pos) < 0) {
      return std::nullopt;
    }
    ++count;
  }
  return count;
}

bool HasControlCharacters(absl::string_view text, bool allow_newline_tab) {
  size_t pos = 0;
  while (pos < text.size()) {
    const int32_t code = DecodeOne(text, &pos);
    if (code < 0) {
      return true;  // callers validate UTF-8 first; malformed text is never "clean"
    }
    if (allow_newline_tab && (code == '\n' || code == '\t')) {
      continue;
    }
    if (code < 0x20 || (code >= 0x7F && code <= 0x9F)) {
      return true;
    }
  }
  return false;
}

}  // namespace roomd
