#pragma once

// One line per event on stderr, written with a single call so threads never interleave.

#include "absl/strings/string_view.h"

namespace wsbridge {

// Writes "<UTC time> wsbridge: <line>\n" to stderr.
void LogLine(absl::string_view line);

}  // namespace wsbridge
