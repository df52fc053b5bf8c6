#pragma once

// Small URL helpers for request targets ("/path?query").

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wsbridge {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, for query strings).
// A malformed escape or a NUL byte is INVALID_ARGUMENT.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space);

// The part of a request target before '?'.
absl::string_view TargetPath(absl::string_view target);

// The part of a request target after '?', or "" if there is none.
absl::string_view TargetQuery(absl::string_view target);

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; values must be UTF-8 once decoded.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    absl::string_view query);

}  // namespace wsbridge
