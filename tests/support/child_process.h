#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace chat::testing {

// A child process for tests (redis-server, roomd, wsbridge): its stdout and stderr are read
// line by line on a thread of its own (so a chatty child never blocks on a full pipe), and
// tests wait for a line, a port or the exit with a deadline. The child dies with the thread
// that started it (PR_SET_PDEATHSIG), so a crashed test leaves none behind.
// Not thread-safe: one test thread drives it. Lifetime: the destructor kills (SIGKILL) and
// reaps the child if it still runs.
class ChildProcess {
 public:
  // Starts `argv` (argv[0] is a path).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The first line (old or new) containing `text`, or nullopt after `timeout` or once the
  // child closed its output without printing one.
  std::optional<std::string> WaitForLine(absl::string_view text,
                                         absl::Duration timeout = absl::Seconds(20));
  // The number right after `marker` in the first line holding it (a daemon's "listening on
  // 127.0.0.1:" line), or 0 if no such line comes in time.
  int WaitForPort(absl::string_view marker, absl::Duration timeout = absl::Seconds(20));

  // Sends `signal` and returns at once.
  absl::Status Signal(int signal);
  // The exit status (as waitpid gives it), or nullopt if it still runs at the deadline.
  std::optional<int> WaitForExit(absl::Duration timeout = absl::Seconds(20));
  // Sends `signal` and reaps the child (bounded wait; SIGKILL if it lingers). Idempotent.
  void Kill(int signal);

  pid_t pid() const { return pid_; }
  // Everything the child printed so far.
  std::string Output();

 private:
  ChildProcess(pid_t pid, int pidfd, int out_fd);
  void ReadLoop();

  const pid_t pid_;
  const int pidfd_;  // readable once the child exits; -1 where pidfd_open is refused
  const int out_fd_;
  std::optional<int> exit_status_;  // set once reaped

  chat::Mutex mu_;
  chat::CondVar cv_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;  // last: it starts reading as soon as it is constructed
};

// A daemon (roomd, wsbridge) run as a child, and the port its "listening on" line named.
struct ListeningChild {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

// Starts `argv` and waits for the port after `marker`; an error holding what the child
// printed if it cannot start or names no port in time.
absl::StatusOr<ListeningChild> StartListening(const std::vector<std::string>& argv,
                                              absl::string_view marker,
                                              absl::Duration timeout = absl::Seconds(20));

// The absolute path of `program` on PATH (or in /usr/bin, /usr/sbin), or "" when it is not
// installed.
std::string FindProgram(const std::string& program);

// A TCP port on 127.0.0.1 that was free a moment ago (for a server that must be restarted
// on the same port; anything else binds port 0).
int PickFreePort();

}  // namespace chat::testing
