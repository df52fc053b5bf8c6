#pragma once

// UTF-8 checks for untrusted text: protobuf already rejects invalid UTF-8 in proto3 strings,
// but roomd validates names and texts itself so every path gives the same clear error.

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace roomd {

// The number of code points if `text` is well-formed UTF-8 (no overlongs, no surrogates,
// nothing above U+10FFFF), else nullopt.
std::optional<size_t> CountCodePoints(absl::string_view text);

inline bool IsValidUtf8(absl::string_view text) { return CountCodePoints(text).has_value(); }

// True if `text` (valid UTF-8) holds a C0 or C1 control character or DEL; when
// `allow_newline_tab` is set, '\n' and '\t' are accepted.
bool HasControlCharacters(absl::string_view text, bool allow_newline_tab);

}  // namespace roomd
