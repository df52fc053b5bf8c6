// The real wsbridge binary: SIGTERM closes every browser with 1001 and exits 0.

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "tests/wsbridge/integration/bridge_fixture.h"

extern char** environ;

namespace wsbridge::testing {
namespace {

// Reads the child's stderr until the "listening on http://127.0.0.1:PORT/" line; 0 if it
// does not come before the deadline.
int ReadListeningPort(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string seen;
  const std::string marker = "listening on http://127.0.0.1:";
  while (absl::Now() < deadline) {
    pollfd entry{fd, POLLIN, 0};
    const int left_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&entry, 1, std::max(left_ms, 1)) <= 0) {
      continue;
    }
    char chunk[512];
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) {
      return 0;
    }
    seen.append(chunk, static_cast<std::size_t>(n));
    const std::size_t at = seen.find(marker);
    if (at != std::string::npos) {
      const std::size_t start = at + marker.size();
      const std::size_t end = seen.find('/', start);
      int port = 0;
      if (end != std::string::npos && absl::SimpleAtoi(seen.substr(start, end - start), &port)) {
        return port;
      }
    }
  }
  return 0;
}

using SignalTest = BridgeFixture;

TEST_F(SignalTest, SigtermClosesBrowsersWithGoingAwayAndExitsZero) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<std::string> args = {WSBRIDGE_BINARY, "--listen=127.0.0.1:0",
                                   "--roomd=" + roomd_->address(),
                                   "--web_root=" + web_root_.string(), "--threads=1"};
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, WSBRIDGE_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);

  const int port = ReadListeningPort(pipe_fds[0], kWait);
  if (port == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(pipe_fds[0]);
    FAIL() << "wsbridge did not report its port";
  }
  auto connected = WsTestClient::Connect(port);
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto ann = *std::move(connected);
  ASSERT_TRUE(ann->Join("lobby", "ann@example.com").ok());
  ASSERT_TRUE(ann->ReadEvent(IsWelcome()).ok());

  auto exited = std::async(std::launch::async, [pid] {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  });
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  auto closed = ann->ReadClose();
  if (exited.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    kill(pid, SIGKILL);
  }
  const int status = exited.get();
  close(pipe_fds[0]);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1001);
  EXPECT_EQ(std::string(closed->reason.data(), closed->reason.size()), "going away");
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace wsbridge::testing
