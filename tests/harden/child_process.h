#pragma once

// A daemon (roomd or wsbridge) run as a child process for fault tests: spawned with its
// stderr piped back, its port read from its "listening on" line, signalled, and reaped
// with a deadline. Lifetime: the destructor SIGKILLs and reaps a child still running.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace chat::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `args[0]` with `args`.
  absl::Status Start(const std::vector<std::string>& args);
  // Reads stderr until a line holds `marker` followed by a port number; 0 on timeout or exit.
  int WaitForPort(const std::string& marker, absl::Duration timeout = absl::Seconds(20));
  absl::Status Signal(int signal_number);
  // The exit status (as waitpid gives it), or nullopt if it is still running at the deadline.
  std::optional<int> WaitForExit(absl::Duration timeout = absl::Seconds(20));
  // Everything read from stderr so far.
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string output_;
};

}  // namespace chat::testing
