#include "tests/support/child_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace chat::testing {
namespace {

// How long Kill waits for the child to obey before it sends SIGKILL.
constexpr absl::Duration kKillGrace = absl::Seconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError("no program to start");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);  // the test died before prctl took effect
    }
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, fds[0]));
}

ChildProcess::ChildProcess(pid_t pid, int pidfd, int out_fd)
    : pid_(pid), pidfd_(pidfd), out_fd_(out_fd), reader_([this] { ReadLoop(); }) {}

ChildProcess::~ChildProcess() {
  Kill(SIGKILL);
  reader_.join();
  close(out_fd_);
  if (pidfd_ >= 0) {
    close(pidfd_);
  }
}

void ChildProcess::ReadLoop() {
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(out_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    pending.append(buffer, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      chat::MutexLock lock(&mu_);
      lines_.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
      cv_.SignalAll();
    }
  }
  chat::MutexLock lock(&mu_);
  if (!pending.empty()) {
    lines_.push_back(pending);
  }
  closed_ = true;
  cv_.SignalAll();
}

std::optional<std::string> ChildProcess::WaitForLine(absl::string_view text,
                                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  size_t checked = 0;
  while (true) {
    for (; checked < lines_.size(); ++checked) {
      if (absl::StrContains(lines_[checked], text)) {
        return lines_[checked];
      }
    }
    const absl::Time now = absl::Now();
    if (closed_ || now >= deadline) {
      return std::nullopt;
    }
    cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - now));
  }
}

int ChildProcess::WaitForPort(absl::string_view marker, absl::Duration timeout) {
  const std::optional<std::string> line = WaitForLine(marker, timeout);
  if (!line.has_value()) {
    return 0;
  }
  absl::string_view rest(*line);
  rest.remove_prefix(rest.find(marker) + marker.size());
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) {
    ++digits;
  }
  int port = 0;
  return absl::SimpleAtoi(rest.substr(0, digits), &port) ? port : 0;
}

absl::Status ChildProcess::Signal(int signal) {
  if (exit_status_.has_value() || kill(pid_, signal) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("no child ", pid_, " to signal"));
  }
  return absl::OkStatus();
}

std::optional<int> ChildProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exit_status_.has_value()) {
    int status = 0;
    const pid_t reaped = waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_ || (reaped < 0 && errno != EINTR)) {
      exit_status_ = reaped == pid_ ? status : -1;  // -1: reaped elsewhere
      break;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return std::nullopt;
    }
    // The pidfd turns readable when the child exits; without one, look again in 10 ms.
    const int wait_ms =
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left), 60'000) + 1);
    if (pidfd_ >= 0) {
      pollfd exited{pidfd_, POLLIN, 0};
      poll(&exited, 1, wait_ms);
    } else {
      poll(nullptr, 0, std::min(wait_ms, 10));
    }
  }
  return exit_status_;
}

void ChildProcess::Kill(int signal) {
  if (exit_status_.has_value()) {
    return;
  }
  kill(pid_, signal);
  if (!WaitForExit(kKillGrace).has_value()) {
    kill(pid_, SIGKILL);
    WaitForExit(absl::InfiniteDuration());
  }
}

std::string ChildProcess::Output() {
  chat::MutexLock lock(&mu_);
  return absl::StrJoin(lines_, "\n");
}

absl::StatusOr<ListeningChild> StartListening(const std::vector<std::string>& argv,
                                              absl::string_view marker,
                                              absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(argv);
  if (!started.ok()) {
    return started.status();
  }
  ListeningChild child{*std::move(started), 0};
  child.port = child.process->WaitForPort(marker, timeout);
  if (child.port == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        argv[0], " named no port after \"", marker, "\"; it printed:\n", child.process->Output()));
  }
  return child;
}

std::string FindProgram(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::vector<std::string> dirs = absl::StrSplit(path != nullptr ? path : "", ':');
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/sbin");
  for (const std::string& dir : dirs) {
    if (dir.empty()) {
      continue;
    }
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace chat::testing
