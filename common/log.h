#pragma once

// The daemons' log lines on stderr, as text or JSON (--log_format), one write per line so
// threads never interleave. Text: "<UTC time> <daemon>: <line>". JSON: one object per line
// with "time", "daemon" and either "msg" or an "event" and its fields.
// Never log message text, emails or tokens (docs/operations.md, "Logs").

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace chat {

enum class LogFormat { kText, kJson };

// "text" or "json"; false for anything else.
bool ParseLogFormat(absl::string_view name, LogFormat* format);
// Process-wide; set once from main before any thread logs.
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

// SIGHUP's reload: the last --log_format=... in the --flagfile=... files named in `argv`
// (the command line itself cannot change). Returns what it did, for the log.
std::string ReloadLogFormat(int argc, char** argv);

// A free-form line.
void WriteLogLine(absl::string_view daemon, absl::string_view line);

using LogFields = std::initializer_list<std::pair<absl::string_view, std::string>>;
// An event with fields: text "<event> k=v k=v", JSON {"event":..., "k":"v", ...}.
void WriteLogEvent(absl::string_view daemon, absl::string_view event, LogFields fields);

// The line as it is written (without the newline), for tests.
std::string FormatLogLine(absl::string_view time, absl::string_view daemon,
                          absl::string_view event, absl::string_view message, LogFields fields,
                          LogFormat format);

}  // namespace chat
