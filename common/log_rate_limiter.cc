#include "common/log_rate_limiter.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace chat {

LogRateLimiter::LogRateLimiter(int lines_per_window, absl::Duration window)
    : lines_per_window_(lines_per_window), window_(window) {}

LogRateLimiter::Decision LogRateLimiter::Admit(absl::Time now) {
  MutexLock lock(&mu_);
  if (now - window_start_ >= window_) {
    window_start_ = now;
    written_in_window_ = 0;
  }
  if (written_in_window_ >= lines_per_window_) {
    ++suppressed_;
    return {};
  }
  ++written_in_window_;
  Decision decision{true, suppressed_};
  suppressed_ = 0;
  return decision;
}

std::string LogRateLimiter::SuppressedNote(int64_t suppressed, absl::string_view kind) {
  return absl::StrCat(suppressed, " more ", kind, " lines suppressed");
}

void WriteLimitedLogLine(LogRateLimiter& limiter, absl::string_view daemon,
                         absl::string_view kind, absl::string_view line) {
  const LogRateLimiter::Decision decision = limiter.Admit(absl::Now());
  if (!decision.write) {
    return;
  }
  if (decision.suppressed > 0) {
    WriteLogLine(daemon, LogRateLimiter::SuppressedNote(decision.suppressed, kind));
  }
  WriteLogLine(daemon, line);
}

}  // namespace chat
