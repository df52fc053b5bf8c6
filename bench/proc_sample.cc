#include "bench/proc_sample.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bench {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "VmRSS:     1234 kB" -> 1234.
int64_t StatusField(absl::string_view status, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, name) && absl::ConsumePrefix(&line, ":")) {
      line = absl::StripAsciiWhitespace(line);
      line = absl::StripSuffix(line, " kB");
      int64_t value = 0;
      if (absl::SimpleAtoi(line, &value)) {
        return value;
      }
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<ProcSample> ProcSample::Read(int pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/");
  absl::StatusOr<std::string> stat = ReadFile(dir + "stat");
  absl::StatusOr<std::string> status = ReadFile(dir + "status");
  if (!stat.ok() || !status.ok() || stat->empty()) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " not found"));
  }
  ProcSample sample;
  sample.pid = pid;
  // The name in stat is in parentheses and may hold spaces; fields follow the last ')'.
  const std::size_t close = stat->rfind(')');
  if (close == std::string::npos) {
    return absl::InternalError(absl::StrCat("unexpected /proc/", pid, "/stat"));
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 2), ' ', absl::SkipEmpty());
  // After the name: state is field 3, utime field 14, stime field 15 (1-based).
  constexpr std::size_t kUtime = 14 - 3;
  constexpr std::size_t kStime = 15 - 3;
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (fields.size() <= kStime || !absl::SimpleAtoi(fields[kUtime], &utime) ||
      !absl::SimpleAtoi(fields[kStime], &stime)) {
    return absl::InternalError(absl::StrCat("unexpected /proc/", pid, "/stat"));
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  sample.rss_kb = StatusField(*status, "VmRSS");
  sample.hwm_kb = StatusField(*status, "VmHWM");
  if (absl::StatusOr<std::string> comm = ReadFile(dir + "comm"); comm.ok()) {
    sample.name = std::string(absl::StripTrailingAsciiWhitespace(*comm));
  }
  return sample;
}

}  // namespace bench
