#pragma once

// One line per event on stderr (common/log.h: text or JSON per --log_format), written with
// a single call so threads never interleave.

#include "absl/strings/string_view.h"
#include "common/log.h"

namespace wsbridge {

// Text: "<UTC time> wsbridge: <line>".
void LogLine(absl::string_view line);
// An event with fields (connection start and end).
void LogEvent(absl::string_view event, chat::LogFields fields);

}  // namespace wsbridge
