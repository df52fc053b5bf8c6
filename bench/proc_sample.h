#pragma once

// One look at a process in /proc: CPU time used so far (utime + stime), resident memory
// now and at its peak, and its name.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace bench {

struct ProcSample {
  int pid = 0;
  std::string name;     // /proc/PID/comm
  double cpu_seconds = 0;  // utime + stime
  int64_t rss_kb = 0;   // VmRSS
  int64_t hwm_kb = 0;   // VmHWM (peak RSS)

  // Reads /proc/PID/{stat,status,comm}; NOT_FOUND if the process is gone.
  static absl::StatusOr<ProcSample> Read(int pid);
};

}  // namespace bench
