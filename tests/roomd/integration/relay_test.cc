// The Relay stream (the gateway protocol) end to end over a real gRPC channel: many
// sessions on one call, each behaving as a Chat stream would, next to ordinary Chat streams.

#include <set>

#include "absl/strings/str_cat.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::RelayDownItem;
using chat::v1::ServerEvent;

class RelayTest : public RoomdTest {
 protected:
  void SetUp() override { StartServer(); }
};

TEST_F(RelayTest, SessionsOnOneRelayAndChatStreamsShareARoom) {
  auto chat_client = JoinAs("lobby", "carol@example.com");
  RelayTestClient relay(stub_.get());
  ASSERT_TRUE(relay.Join(1, "lobby", "alice@example.com"));
  ASSERT_TRUE(relay.Join(2, "lobby", "bob@example.com"));
  std::optional<ServerEvent> alice = relay.WaitFor(1, IsWelcome());
  std::optional<ServerEvent> bob = relay.WaitFor(2, IsWelcome());
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(alice->welcome().self().name(), "alice");
  EXPECT_EQ(bob->welcome().self().name(), "bob");
  EXPECT_EQ(bob->welcome().online_size(), 3);
  ASSERT_TRUE(chat_client->WaitFor(IsJoined("bob")));
  ASSERT_TRUE(relay.WaitFor(1, IsJoined("bob")));

  ASSERT_TRUE(relay.Say(1, "from alice"));
  for (uint64_t session : {1, 2}) {
    EXPECT_TRUE(relay.WaitFor(session, IsMessage("from alice"))) << session;
  }
  EXPECT_TRUE(chat_client->WaitFor(IsMessage("from alice")));
  ASSERT_TRUE(chat_client->Send("from carol"));
  for (uint64_t session : {1, 2}) {
    EXPECT_TRUE(relay.WaitFor(session, IsMessage("from carol"))) << session;
  }

  // One session closing is one participant leaving; the relay and the others stay.
  ASSERT_TRUE(relay.Close(2));
  std::optional<RelayDownItem> done = relay.WaitForDone(2);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->code(), 0);
  EXPECT_TRUE(chat_client->WaitFor(IsLeft("bob")));
  EXPECT_TRUE(relay.WaitFor(1, IsLeft("bob")));
  ASSERT_TRUE(relay.Say(1, "still here"));
  EXPECT_TRUE(chat_client->WaitFor(IsMessage("still here")));
}

TEST_F(RelayTest, ABroadcastCrossesTheRelayOnceForTheSessionsThatShareIt) {
  constexpr uint64_t kSessions = 20;
  constexpr int kMessages = 10;
  RelayTestClient relay(stub_.get());
  for (uint64_t session = 1; session <= kSessions; ++session) {
    ASSERT_TRUE(relay.Join(session, "lobby", absl::StrCat("user", session, "@example.com")));
    ASSERT_TRUE(relay.WaitFor(session, IsWelcome())) << session;
  }
  for (uint64_t session = 1; session < kSessions; ++session) {
    ASSERT_TRUE(relay.WaitFor(session, IsJoined(absl::StrCat("user", kSessions)))) << session;
  }
  const size_t shared_before = relay.shared_items();
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(relay.Say(1, absl::StrCat("message ", i)));
  }
  // Every session still gets every message, in order...
  for (uint64_t session = 1; session <= kSessions; ++session) {
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_TRUE(relay.WaitFor(session, IsMessage(absl::StrCat("message ", i))))
          << "session " << session << " message " << i;
    }
  }
  // ...and the sessions one broadcast woke together shared items: of each message's 20
  // deliveries, at most the first goes out alone while the write in flight completes.
  EXPECT_GT(relay.shared_items(), shared_before);
}

// The relay's sessions in a room share one feed: a bridge that stops reading its relay
// has every session on it dropped as a slow consumer, and nobody else waits for it.
TEST_F(RoomdTest, ARelayThatIsNotReadLosesItsSessionsAsSlowConsumersAndStallsNoOne) {
  ServerOptions options = TestOptions();
  options.max_outbound_bytes = 64 << 10;
  options.max_batch_bytes = 16 << 10;
  StartServer(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  auto stuck_stub = chat::v1::ChatService::NewStub(NonReadingChannel(server_->address()));
  RelayTestClient stuck(stuck_stub.get(), {}, /*read=*/false);
  ASSERT_TRUE(stuck.Join(1, "lobby", "stuck1@example.com"));
  ASSERT_TRUE(stuck.Join(2, "lobby", "stuck2@example.com"));
  ASSERT_TRUE(alice->WaitFor(IsJoined("stuck1")));
  ASSERT_TRUE(alice->WaitFor(IsJoined("stuck2")));

  const std::string text(2000, 'x');
  int posted = 0;
  std::set<std::string> left;
  while (posted < 4000 && left.size() < 2) {
    std::string last;
    for (int i = 0; i < 10; ++i) {
      last = absl::StrCat(text, posted++);
      Post("lobby", "bot@example.com", last);
    }
    ASSERT_TRUE(alice->WaitFor(IsMessage(last))) << "alice fell behind at " << posted;
    for (const ServerEvent& event : alice->events()) {
      if (event.has_presence() && event.presence().has_left()) {
        left.insert(event.presence().left().name());
      }
    }
  }
  ASSERT_EQ(left, (std::set<std::string>{"stuck1", "stuck2"})) << "after " << posted << " posts";
  Post("lobby", "bot@example.com", "after the drop");
  ASSERT_TRUE(alice->WaitFor(IsMessage("after the drop")));
  uint64_t next_seq = 1;
  for (const ServerEvent& event : alice->events()) {
    if (event.has_message()) {
      ASSERT_EQ(event.message().seq(), next_seq++);  // every message, in order
    }
  }

  // When the bridge reads again, each session's end says why.
  stuck.StartReading();
  for (uint64_t session : {1, 2}) {
    std::optional<RelayDownItem> done = stuck.WaitForDone(session);
    ASSERT_TRUE(done.has_value()) << session;
    EXPECT_EQ(done->code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
    EXPECT_EQ(done->message(), "slow consumer");
  }
}

TEST_F(RelayTest, ASessionThatBreaksTheRulesEndsAloneWithTheChatStreamsStatus) {
  RelayTestClient relay(stub_.get());
  ASSERT_TRUE(relay.Join(1, "lobby", "alice@example.com"));
  ASSERT_TRUE(relay.WaitFor(1, IsWelcome()));
  ASSERT_TRUE(relay.Say(2, "no join first"));
  std::optional<RelayDownItem> done = relay.WaitForDone(2);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(done->message(), "first event must be join");
  ASSERT_TRUE(relay.Join(3, "bad room!", "bob@example.com"));
  done = relay.WaitForDone(3);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  // A reused id is an ended session's: ignored, it starts nothing.
  ASSERT_TRUE(relay.Join(2, "lobby", "mallory@example.com"));
  ASSERT_TRUE(relay.Say(1, "alice goes on"));
  EXPECT_TRUE(relay.WaitFor(1, IsMessage("alice goes on")));
  // roomd forgets a session once its done item's write completes, which can be just after
  // the client has read it.
  EXPECT_TRUE(server_->WaitForSessionsAtMost(1, absl::Seconds(10)));
  EXPECT_EQ(server_->session_count(), 1u);
}

TEST_F(RelayTest, ClosingTheRelayEndsEverySessionAndTheOthersSeeThemLeave) {
  auto watcher = JoinAs("lobby", "carol@example.com");
  {
    RelayTestClient relay(stub_.get());
    for (uint64_t session = 1; session <= 20; ++session) {
      ASSERT_TRUE(relay.Join(session, "lobby", absl::StrCat("user", session, "@example.com")));
    }
    for (uint64_t session = 1; session <= 20; ++session) {
      ASSERT_TRUE(relay.WaitFor(session, IsWelcome())) << session;
    }
    relay.WritesDone();
    for (uint64_t session = 1; session <= 20; ++session) {
      std::optional<RelayDownItem> done = relay.WaitForDone(session);
      ASSERT_TRUE(done) << session;
      EXPECT_EQ(done->code(), 0);
    }
    EXPECT_TRUE(relay.WaitForFinish().ok());
  }
  std::set<std::string> left;  // in any order
  EXPECT_TRUE(watcher->WaitFor([&left](const ServerEvent& event) {
    if (event.has_presence() && event.presence().has_left()) {
      left.insert(event.presence().left().name());
    }
    return left.size() == 20;
  })) << left.size() << " left";
  EXPECT_TRUE(server_->WaitForSessionsAtMost(1, absl::Seconds(10)));
}

TEST_F(RelayTest, ACancelledRelayTakesItsSessionsOutOfTheRoom) {
  auto watcher = JoinAs("lobby", "carol@example.com");
  {
    RelayTestClient relay(stub_.get());
    ASSERT_TRUE(relay.Join(1, "lobby", "alice@example.com"));
    ASSERT_TRUE(relay.WaitFor(1, IsWelcome()));
  }  // cancelled
  EXPECT_TRUE(watcher->WaitFor(IsLeft("alice")));
  EXPECT_TRUE(server_->WaitForSessionsAtMost(1, absl::Seconds(10)));
}

TEST_F(RelayTest, ShutdownEndsEachSessionUnavailableThenTheRelay) {
  RelayTestClient relay(stub_.get());
  ASSERT_TRUE(relay.Join(1, "lobby", "alice@example.com"));
  ASSERT_TRUE(relay.WaitFor(1, IsWelcome()));
  server_->Shutdown();
  std::optional<RelayDownItem> done = relay.WaitForDone(1);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_EQ(done->message(), "server shutting down");
  EXPECT_EQ(relay.WaitForFinish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace roomd::testing
