#pragma once

// Keeps one kind of log line from flooding the log: at most `lines_per_window` of them are
// written per window; the rest are only counted, and the first line written in a later
// window is preceded by "N more <kind> lines suppressed". A flood thus costs a few lines
// per second, and its size is still on record. Any thread.

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace chat {

class LogRateLimiter {
 public:
  LogRateLimiter(int lines_per_window, absl::Duration window);
  LogRateLimiter(const LogRateLimiter&) = delete;
  LogRateLimiter& operator=(const LogRateLimiter&) = delete;

  struct Decision {
    bool write = false;       // write this line
    int64_t suppressed = 0;   // when writing: lines dropped since the last one written
  };
  // One more line at `now`.
  Decision Admit(absl::Time now);

  // The note written before a line when `suppressed` > 0.
  static std::string SuppressedNote(int64_t suppressed, absl::string_view kind);

 private:
  const int lines_per_window_;
  const absl::Duration window_;
  Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int written_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Writes `line` for `daemon` (WriteLogLine) if `limiter` admits it, after the note of what
// it suppressed before.
void WriteLimitedLogLine(LogRateLimiter& limiter, absl::string_view daemon,
                         absl::string_view kind, absl::string_view line);

}  // namespace chat
