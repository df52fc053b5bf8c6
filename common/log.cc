#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace chat {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// A JSON string literal: quotes, backslashes and control characters escaped; other bytes
// as they are (the daemons log UTF-8 they checked, or ASCII).
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void Write(absl::string_view daemon, absl::string_view event, absl::string_view message,
           LogFields fields) {
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line = FormatLogLine(time, daemon, event, message, fields, GetLogFormat());
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

bool ParseLogFormat(absl::string_view name, LogFormat* format) {
  if (name == "text") {
    *format = LogFormat::kText;
    return true;
  }
  if (name == "json") {
    *format = LogFormat::kJson;
    return true;
  }
  return false;
}

void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }

LogFormat GetLogFormat() { return g_format.load(std::memory_order_relaxed); }

std::string FormatLogLine(absl::string_view time, absl::string_view daemon,
                          absl::string_view event, absl::string_view message, LogFields fields,
                          LogFormat format) {
  if (format == LogFormat::kText) {
    std::string out = absl::StrCat(time, " ", daemon, ": ", event.empty() ? message : event);
    for (const auto& [key, value] : fields) {
      // Values with spaces (reasons) are quoted so the line still splits into k=v pairs.
      const bool quote = value.empty() || value.find_first_of(" \"") != std::string::npos;
      absl::StrAppend(&out, " ", key, "=", quote ? JsonString(value) : value);
    }
    return out;
  }
  std::string out = absl::StrCat("{\"time\":", JsonString(time), ",\"daemon\":", JsonString(daemon));
  if (event.empty()) {
    absl::StrAppend(&out, ",\"msg\":", JsonString(message));
  } else {
    absl::StrAppend(&out, ",\"event\":", JsonString(event));
  }
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&out, ",", JsonString(key), ":", JsonString(value));
  }
  out.push_back('}');
  return out;
}

std::string ReloadLogFormat(int argc, char** argv) {
  std::string found;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--flagfile=")) {
      continue;
    }
    std::ifstream in{std::string(arg)};
    for (std::string line; std::getline(in, line);) {
      absl::string_view value = absl::StripAsciiWhitespace(line);
      if (absl::ConsumePrefix(&value, "--log_format=")) {
        found = std::string(value);
      }
    }
  }
  LogFormat format = GetLogFormat();
  if (found.empty()) {
    return "no --log_format in the flag files; log format unchanged";
  }
  if (!ParseLogFormat(found, &format)) {
    return absl::StrCat("--log_format=", found, " in the flag files is not text or json; unchanged");
  }
  SetLogFormat(format);
  return absl::StrCat("log format now ", found);
}

void WriteLogLine(absl::string_view daemon, absl::string_view line) {
  Write(daemon, "", line, {});
}

void WriteLogEvent(absl::string_view daemon, absl::string_view event, LogFields fields) {
  Write(daemon, event, "", fields);
}

}  // namespace chat
