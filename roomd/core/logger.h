#pragma once

// A tiny line logger for stderr (absl 20220623 has no logging): one timestamped line per
// call, written with a single fwrite so lines from different threads do not interleave.

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace roomd {

void LogLine(absl::string_view line);

// Turns logging off or on (tests that flood connections may silence it).
void SetLoggingEnabled(bool enabled);

template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  LogLine(absl::StrFormat(format, args...));
}

}  // namespace roomd
