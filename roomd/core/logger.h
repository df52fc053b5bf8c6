#pragma once

// roomd's logging (absl 20220623 has no logging): common/log.h's lines, as text or JSON,
// prefixed "roomd", with a switch for tests that flood connections.

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/log.h"

namespace roomd {

void LogLine(absl::string_view line);
// An event with fields (connection start and end), as text or JSON per --log_format.
void LogEvent(absl::string_view event, chat::LogFields fields);

// Turns logging off or on (tests that flood connections may silence it).
void SetLoggingEnabled(bool enabled);

template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  LogLine(absl::StrFormat(format, args...));
}

}  // namespace roomd
