#pragma once

// UTF-8 checks for untrusted text (names, messages, query strings, close reasons), shared
// by both daemons so every path accepts and refuses the same bytes. Well-formed means no
// overlong forms, no surrogates, nothing above U+10FFFF and no truncated sequence.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace chat {

// The length of the well-formed sequence at the start of `text`, or 0 if there is none.
size_t Utf8SequenceLength(absl::string_view text);

// Whether all of `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// The number of code points if `text` is well-formed UTF-8, else nullopt.
std::optional<size_t> CountCodePoints(absl::string_view text);

// True if `text` (valid UTF-8) holds a C0 or C1 control character or DEL; when
// `allow_newline_tab` is set, '\n' and '\t' are accepted. Malformed text counts as holding one.
bool HasControlCharacters(absl::string_view text, bool allow_newline_tab);

// A copy of `text` with each invalid byte replaced by '?', cut to at most `max_bytes`
// on a character boundary.
std::string SanitizeUtf8(absl::string_view text, size_t max_bytes);

}  // namespace chat
