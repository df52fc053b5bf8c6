#include "tests/harden/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace chat::testing {

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) {
    close(stderr_fd_);
  }
}

absl::Status ChildProcess::Start(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<std::string> copies = args;
  std::vector<char*> argv;
  for (std::string& arg : copies) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  stderr_fd_ = fds[0];
  if (rc != 0) {
    pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot start ", args[0]));
  }
  return absl::OkStatus();
}

int ChildProcess::WaitForPort(const std::string& marker, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    const std::size_t at = output_.find(marker);
    if (at != std::string::npos) {
      const std::size_t start = at + marker.size();
      std::size_t end = start;
      while (end < output_.size() && output_[end] >= '0' && output_[end] <= '9') {
        ++end;
      }
      int port = 0;
      if (end < output_.size() && absl::SimpleAtoi(output_.substr(start, end - start), &port)) {
        return port;
      }
    }
    pollfd entry{stderr_fd_, POLLIN, 0};
    const int left_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&entry, 1, std::max(left_ms, 1)) <= 0) {
      continue;
    }
    char chunk[512];
    const ssize_t n = read(stderr_fd_, chunk, sizeof(chunk));
    if (n <= 0) {
      return 0;
    }
    output_.append(chunk, static_cast<std::size_t>(n));
  }
  return 0;
}

absl::Status ChildProcess::Signal(int signal_number) {
  if (pid_ <= 0 || kill(pid_, signal_number) != 0) {
    return absl::FailedPreconditionError("no child to signal");
  }
  return absl::OkStatus();
}

std::optional<int> ChildProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return status;
    }
    if (absl::Now() >= deadline) {
      return std::nullopt;
    }
    // Drain stderr meanwhile so the child never blocks on a full pipe; this also paces the loop.
    pollfd entry{stderr_fd_, POLLIN, 0};
    if (poll(&entry, 1, 20) > 0) {
      char chunk[512];
      const ssize_t n = read(stderr_fd_, chunk, sizeof(chunk));
      if (n > 0) {
        output_.append(chunk, static_cast<std::size_t>(n));
      }
    }
  }
  return std::nullopt;
}

}  // namespace chat::testing
