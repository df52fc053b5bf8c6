#include "common/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace chat::metrics {
namespace {

// /proc/self/stat's fields after the command name (which may hold spaces and parentheses),
// numbered as proc(5) numbers them: fields[0] is field 3 (state).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t end_of_comm = line.rfind(')');
  if (end_of_comm == std::string::npos || end_of_comm + 2 > line.size()) {
    return {};
  }
  return absl::StrSplit(line.substr(end_of_comm + 2), ' ');
}

double StatField(int number) {
  const std::vector<std::string> fields = StatFields();
  double value = 0;
  const size_t index = static_cast<size_t>(number - 3);
  if (index >= fields.size() || !absl::SimpleAtod(fields[index], &value)) {
    return 0;
  }
  return value;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    double value = 0;
    if (line.rfind("btime ", 0) == 0 && absl::SimpleAtod(line.substr(6), &value)) {
      return value;
    }
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count > 0 ? count - 1 : 0;  // minus the iterator's own descriptor
}

}  // namespace

void AddProcessMetrics(Registry* registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Fixed for the process's life: computed once.
  const double start = BootTimeSeconds() + StatField(22) / ticks;
  registry->AddCallback("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                        Type::kCounter,
                        [ticks] { return (StatField(14) + StatField(15)) / ticks; });
  registry->AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                        Type::kGauge, [page] { return StatField(24) * page; });
  registry->AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        Type::kGauge, [] { return StatField(23); });
  registry->AddCallback("process_open_fds", "Number of open file descriptors.", Type::kGauge,
                        [] { return OpenFds(); });
  registry->AddCallback("process_max_fds", "Maximum number of open file descriptors.",
                        Type::kGauge, [] {
                          rlimit limit{};
                          getrlimit(RLIMIT_NOFILE, &limit);
                          return static_cast<double>(limit.rlim_cur);
                        });
  registry->AddCallback("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", Type::kGauge,
                        [start] { return start; });
}

}  // namespace chat::metrics
