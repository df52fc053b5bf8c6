#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"

namespace roomd::testing {

// A child process for tests (redis-server, a roomd node): its stdout and stderr are read
// line by line on a thread of its own (so a chatty child never blocks on a full pipe), and
// tests wait for a line with a deadline. Lifetime: the destructor kills (SIGKILL) and reaps
// the child if it still runs.
class ChildProcess {
 public:
  // Starts `argv` (argv[0] is a path); nullopt if it cannot be started.
  static std::optional<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The first line (old or new) containing `text`, or nullopt after `timeout` or once the
  // child closed its output without printing one.
  std::optional<std::string> WaitForLine(const std::string& text, absl::Duration timeout);

  // Sends `signal` and reaps the child (bounded wait; SIGKILL if it lingers). Idempotent.
  void Kill(int signal);
  pid_t pid() const { return pid_; }
  std::string Output();

 private:
  ChildProcess(pid_t pid, int out_fd);
  void ReadLoop();

  const pid_t pid_;
  const int out_fd_;
  bool reaped_ = false;

  chat::Mutex mu_;
  chat::CondVar cv_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;  // last: it starts reading as soon as it is constructed
};

// The absolute path of `program` on PATH, or "" when it is not installed.
std::string FindProgram(const std::string& program);

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

}  // namespace roomd::testing
