// Faults with the real binaries as child processes: roomd SIGKILLed mid-chat, SIGTERM
// under load for both daemons, and wsbridge SIGKILLed while roomd keeps serving.

#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/bridge_fixture.h"
#include "tests/support/chat_test_client.h"
#include "tests/support/child_process.h"

namespace wsbridge::testing {
namespace {

using chat::testing::ListeningChild;

constexpr char kRoomdMarker[] = "roomd: listening on 127.0.0.1:";
constexpr char kBridgeMarker[] = "listening on http://127.0.0.1:";

// roomd as a child on `port` (0: any free port).
absl::StatusOr<ListeningChild> StartRoomdChild(int port) {
  return chat::testing::StartListening(
      {ROOMD_BINARY, absl::StrCat("--listen=127.0.0.1:", port), "--shutdown_grace=1s"},
      kRoomdMarker);
}

absl::StatusOr<ListeningChild> StartBridgeChild(int roomd_port, const std::string& web_root) {
  return chat::testing::StartListening(
      {WSBRIDGE_BINARY, "--listen=127.0.0.1:0", absl::StrCat("--roomd=127.0.0.1:", roomd_port),
       "--web_root=" + web_root, "--threads=2"},
      kBridgeMarker);
}

// The in-process roomd of BridgeFixture is not used here: each test runs its own daemons.
class FaultsTest : public BridgeFixture {
 protected:
  std::unique_ptr<WsTestClient> JoinedAt(int port, const std::string& email) {
    auto client = WsTestClient::Connect(port);
    if (!client.ok()) {
      ADD_FAILURE() << client.status();
      return nullptr;
    }
    EXPECT_TRUE((*client)->Join("lobby", email).ok());
    auto welcome = (*client)->ReadEvent(IsWelcome());
    EXPECT_TRUE(welcome.ok()) << email << ": " << welcome.status();
    return welcome.ok() ? *std::move(client) : nullptr;
  }

  // roomd and a wsbridge in front of it, both as child processes.
  void StartDaemons() {
    absl::StatusOr<ListeningChild> roomd = StartRoomdChild(0);
    ASSERT_TRUE(roomd.ok()) << roomd.status();
    roomd_child_ = *std::move(roomd);
    absl::StatusOr<ListeningChild> bridge = StartBridgeChild(roomd_child_.port, web_root_.string());
    ASSERT_TRUE(bridge.ok()) << bridge.status();
    bridge_child_ = *std::move(bridge);
  }

  ListeningChild roomd_child_;
  ListeningChild bridge_child_;
};

TEST_F(FaultsTest, RoomdKilledMidChatEveryBrowserIsToldAndServiceComesBack) {
  ASSERT_NO_FATAL_FAILURE(StartDaemons());
  const int port = bridge_child_.port;

  std::vector<std::unique_ptr<WsTestClient>> browsers;
  for (int i = 0; i < 5; ++i) {
    browsers.push_back(JoinedAt(port, absl::StrCat("u", i, "@example.com")));
    ASSERT_NE(browsers.back(), nullptr);
  }
  ASSERT_TRUE(browsers[0]->Send("before the crash").ok());
  for (auto& browser : browsers) {
    ASSERT_TRUE(browser->ReadEvent(IsMessage("before the crash")).ok());
  }
  ASSERT_TRUE(roomd_child_.process->Signal(SIGKILL).ok());
  for (auto& browser : browsers) {
    auto closed = browser->ReadClose();
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->code, 4014);
    EXPECT_TRUE(absl::StartsWith(ReasonOf(*closed), "roomd unavailable")) << ReasonOf(*closed);
  }
  // A new browser is refused at once with the same clear reason.
  auto late = WsTestClient::Connect(port);
  ASSERT_TRUE(late.ok()) << late.status();
  ASSERT_TRUE((*late)->Join("lobby", "late@example.com").ok());
  auto refused = (*late)->ReadClose();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->code, 4014);
  EXPECT_TRUE(absl::StartsWith(ReasonOf(*refused), "roomd unavailable")) << ReasonOf(*refused);

  // roomd comes back on the same port: joins work again without restarting the bridge.
  absl::StatusOr<ListeningChild> roomd_again = StartRoomdChild(roomd_child_.port);
  ASSERT_TRUE(roomd_again.ok()) << roomd_again.status();
  ASSERT_EQ(roomd_again->port, roomd_child_.port);
  std::unique_ptr<WsTestClient> back;
  // Poll until the bridge's reconnect backoff (at most 1 s) has run out, bounded in time.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (back == nullptr && absl::Now() < give_up) {
    auto client = WsTestClient::Connect(port);
    ASSERT_TRUE(client.ok()) << client.status();
    ASSERT_TRUE((*client)->Join("lobby", "back@example.com").ok());
    auto welcome = (*client)->ReadEvent(IsWelcome());
    if (welcome.ok()) {
      back = *std::move(client);
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  ASSERT_NE(back, nullptr) << "no join after roomd came back";
  ASSERT_TRUE(roomd_again->process->Signal(SIGTERM).ok());
  auto exit_status = roomd_again->process->WaitForExit();
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0) << *exit_status;
}

TEST_F(FaultsTest, SigtermUnderLoadClosesCleanlyAndBothExitZero) {
  ASSERT_NO_FATAL_FAILURE(StartDaemons());
  const int port = bridge_child_.port;
  std::vector<std::unique_ptr<WsTestClient>> browsers;
  for (int i = 0; i < 4; ++i) {
    browsers.push_back(JoinedAt(port, absl::StrCat("u", i, "@example.com")));
    ASSERT_NE(browsers.back(), nullptr);
  }
  // Load: every browser has sent a burst (up to roomd's rate limit) when the signal lands.
  for (int i = 0; i < 30; ++i) {
    for (auto& browser : browsers) {
      ASSERT_TRUE(browser->Send(absl::StrCat("load ", i)).ok());
    }
  }
  ASSERT_TRUE(bridge_child_.process->Signal(SIGTERM).ok());
  for (auto& browser : browsers) {
    auto closed = browser->ReadClose();
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->code, 1001);
    EXPECT_EQ(ReasonOf(*closed), "going away");
  }
  auto bridge_exit = bridge_child_.process->WaitForExit();
  ASSERT_TRUE(bridge_exit.has_value()) << "wsbridge did not exit";
  EXPECT_TRUE(WIFEXITED(*bridge_exit) && WEXITSTATUS(*bridge_exit) == 0) << *bridge_exit;

  // roomd under load from gRPC clients: they end UNAVAILABLE "server shutting down".
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", roomd_child_.port),
                                     grpc::InsecureChannelCredentials());
  std::vector<std::unique_ptr<roomd::testing::ChatTestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<roomd::testing::ChatTestClient>(channel));
    ASSERT_TRUE(clients.back()->Join("lobby", absl::StrCat("g", i, "@example.com")));
    ASSERT_TRUE(clients.back()->WaitForWelcome().has_value());
  }
  for (int i = 0; i < 30; ++i) {
    for (auto& client : clients) {
      client->Send(absl::StrCat("load ", i));
    }
  }
  ASSERT_TRUE(roomd_child_.process->Signal(SIGTERM).ok());
  for (auto& client : clients) {
    const grpc::Status status = client->WaitForFinish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(status.error_message(), "server shutting down");
  }
  auto roomd_exit = roomd_child_.process->WaitForExit();
  ASSERT_TRUE(roomd_exit.has_value()) << "roomd did not exit";
  EXPECT_TRUE(WIFEXITED(*roomd_exit) && WEXITSTATUS(*roomd_exit) == 0) << *roomd_exit;
}

TEST_F(FaultsTest, WsbridgeKilledRoomdDropsItsSessionsAndPresenceAtOnce) {
  // roomd in-process (the fixture's), wsbridge as a child.
  const std::string address = roomd_->address();
  const int roomd_port = std::stoi(address.substr(address.rfind(':') + 1));
  absl::StatusOr<ListeningChild> bridge = StartBridgeChild(roomd_port, web_root_.string());
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  const int port = bridge->port;

  auto observer = std::make_unique<roomd::testing::ChatTestClient>(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(observer->Join("lobby", "observer@example.com"));
  ASSERT_TRUE(observer->WaitForWelcome().has_value());
  auto ann = JoinedAt(port, "ann@example.com");
  auto bob = JoinedAt(port, "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(observer->WaitFor(roomd::testing::IsJoined("bob")).has_value());

  ASSERT_TRUE(bridge->process->Signal(SIGKILL).ok());
  // The bridge's HTTP/2 connection dies with it: roomd ends both streams and says so, in
  // no particular order.
  const auto ann_left = roomd::testing::IsLeft("ann");
  const auto bob_left = roomd::testing::IsLeft("bob");
  bool ann_gone = false;
  bool bob_gone = false;
  while (!(ann_gone && bob_gone)) {
    const auto left = observer->WaitFor([&](const chat::v1::ServerEvent& event) {
      return ann_left(event) || bob_left(event);
    });
    ASSERT_TRUE(left.has_value()) << "ann left: " << ann_gone << ", bob left: " << bob_gone;
    ann_gone = ann_gone || ann_left(*left);
    bob_gone = bob_gone || bob_left(*left);
  }
  chat::v1::GetPresenceRequest request;
  request.set_room("lobby");
  chat::v1::GetPresenceResponse response;
  grpc::ClientContext context;
  auto stub = chat::v1::ChatService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(stub->GetPresence(&context, request, &response).ok());
  ASSERT_EQ(response.online_size(), 1);
  EXPECT_EQ(response.online(0).name(), "observer");
  // And roomd keeps serving.
  ASSERT_TRUE(observer->Send("alone now"));
  EXPECT_TRUE(observer->WaitFor(roomd::testing::IsMessage("alone now")).has_value());
}

}  // namespace
}  // namespace wsbridge::testing
