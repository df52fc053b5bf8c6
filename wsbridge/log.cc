#include "wsbridge/log.h"

namespace wsbridge {

void LogLine(absl::string_view line) { chat::WriteLogLine("wsbridge", line); }

void LogEvent(absl::string_view event, chat::LogFields fields) {
  chat::WriteLogEvent("wsbridge", event, fields);
}

}  // namespace wsbridge
