#pragma once

// UTF-8 checks for text the bridge puts into frames it did not build itself.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace wsbridge {

// The length of the valid UTF-8 sequence starting at text[0], or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t Utf8SequenceLength(absl::string_view text);

// Whether all of `text` is valid UTF-8.
bool IsValidUtf8(absl::string_view text);

// A copy of `text` with each invalid byte replaced by '?', cut to at most `max_bytes`
// on a character boundary.
std::string SanitizeUtf8(absl::string_view text, std::size_t max_bytes);

}  // namespace wsbridge
