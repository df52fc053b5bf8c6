// roomd going away and coming back: browsers are told at once with a close code, and new
// connections work as soon as roomd is back.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

using RoomdRestartTest = BridgeFixture;

TEST_F(RoomdRestartTest, BrowsersAreToldAndNewConnectionsWorkAfterwards) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  const int roomd_port = roomd_->port();

  StopRoomd();
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 14);  // UNAVAILABLE
  EXPECT_TRUE(absl::StrContains(ReasonOf(*closed), "roomd unavailable")) << ReasonOf(*closed);

  // While roomd is down a new browser is turned away at once, not after a long timeout.
  auto early = Connect("/chat?email=bob%40example.com&room=lobby");
  ASSERT_NE(early, nullptr);
  auto refused = early->ReadClose();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->code, 4000 + 14);

  StartRoomd(roomd_port);
  ASSERT_NE(roomd_, nullptr);
  ASSERT_TRUE(bridge_->roomd().channel()->WaitForConnected(std::chrono::system_clock::now() +
                                                           std::chrono::seconds(10)));
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(bob->Send("back again").ok());
  EXPECT_TRUE(bob->ReadEvent(IsMessage("back again")).ok());
}

TEST_F(RoomdRestartTest, UnreachableRoomdIsReportedAtOnce) {
  StopRoomd();
  auto ann = Connect();
  ASSERT_NE(ann, nullptr);
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 14);
  EXPECT_LE(closed->reason.size(), 123u);
}

}  // namespace
}  // namespace wsbridge::testing
