#include "tests/support/child_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace roomd::testing {

std::optional<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return std::nullopt;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. It dies with the test process, so a
    // crashed test leaves no redis-server or roomd behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fds[0]));
}

ChildProcess::ChildProcess(pid_t pid, int out_fd)
    : pid_(pid), out_fd_(out_fd), reader_([this] { ReadLoop(); }) {}

ChildProcess::~ChildProcess() {
  Kill(SIGKILL);
  reader_.join();
  close(out_fd_);
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

std::optional<std::string> ChildProcess::WaitForLine(const std::string& text,
                                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  size_t checked = 0;
  while (true) {
    for (; checked < lines_.size(); ++checked) {
      if (lines_[checked].find(text) != std::string::npos) {
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

void ChildProcess::Kill(int signal) {
  if (reaped_) {
    return;
  }
  // A pidfd becomes readable when the process exits: wait on that, bounded.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  kill(pid_, signal);
  if (pidfd >= 0) {
    pollfd exited{pidfd, POLLIN, 0};
    if (poll(&exited, 1, 10000) <= 0) {
      kill(pid_, SIGKILL);
    }
    close(pidfd);
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
}

std::string ChildProcess::Output() {
  chat::MutexLock lock(&mu_);
  return absl::StrJoin(lines_, "\n");
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
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
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

}  // namespace roomd::testing
