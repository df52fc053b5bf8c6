// The real wsbridge binary: SIGTERM closes every browser with 1001 and exits 0.

#include <signal.h>
#include <sys/wait.h>

#include <string>

#include <gtest/gtest.h>

#include "tests/support/bridge_fixture.h"
#include "tests/support/child_process.h"

namespace wsbridge::testing {
namespace {

using SignalTest = BridgeFixture;

TEST_F(SignalTest, SigtermClosesBrowsersWithGoingAwayAndExitsZero) {
  absl::StatusOr<chat::testing::ListeningChild> bridge = chat::testing::StartListening(
      {WSBRIDGE_BINARY, "--listen=127.0.0.1:0", "--roomd=" + roomd_->address(),
       "--web_root=" + web_root_.string(), "--threads=1"},
      "listening on http://127.0.0.1:", kWait);
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  const int port = bridge->port;
  auto connected = WsTestClient::Connect(port);
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto ann = *std::move(connected);
  ASSERT_TRUE(ann->Join("lobby", "ann@example.com").ok());
  ASSERT_TRUE(ann->ReadEvent(IsWelcome()).ok());

  ASSERT_TRUE(bridge->process->Signal(SIGTERM).ok());
  auto closed = ann->ReadClose();
  const std::optional<int> status = bridge->process->WaitForExit();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1001);
  EXPECT_EQ(std::string(closed->reason.data(), closed->reason.size()), "going away");
  ASSERT_TRUE(status.has_value()) << "wsbridge did not exit";
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace wsbridge::testing
