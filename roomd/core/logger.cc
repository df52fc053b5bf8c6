#include "roomd/core/logger.h"

#include <atomic>

namespace roomd {
namespace {

std::atomic<bool> g_enabled{true};

}  // namespace

void SetLoggingEnabled(bool enabled) { g_enabled.store(enabled, std::memory_order_relaxed); }

void LogLine(absl::string_view line) {
  if (g_enabled.load(std::memory_order_relaxed)) {
    chat::WriteLogLine("roomd", line);
  }
}

void LogEvent(absl::string_view event, chat::LogFields fields) {
  if (g_enabled.load(std::memory_order_relaxed)) {
    chat::WriteLogEvent("roomd", event, fields);
  }
}

}  // namespace roomd
