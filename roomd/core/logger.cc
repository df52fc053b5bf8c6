#include "roomd/core/logger.h"

#include <atomic>
#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace roomd {
namespace {

std::atomic<bool> g_enabled{true};

}  // namespace

void SetLoggingEnabled(bool enabled) { g_enabled.store(enabled, std::memory_order_relaxed); }

void LogLine(absl::string_view line) {
  if (!g_enabled.load(std::memory_order_relaxed)) {
    return;
  }
  std::string out = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ roomd: ", absl::Now(), absl::UTCTimeZone());
  out.append(line.data(), line.size());
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace roomd
