// Failures around a shared broker: a node that dies without a word, and Redis restarting
// (losing everything, as it runs without persistence here).

#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/roomd/integration/redis/two_node_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

ChatTestClient::Predicate IsErrorFor(const std::string& client_id) {
  return [client_id](const ServerEvent& event) {
    return event.has_error() && event.error().client_id() == client_id;
  };
}

TEST_F(TwoNodeTest, UsersOfAKilledNodeLeaveWithinThePresenceExpiry) {
  // Node C runs as its own process so it can die without any goodbye (SIGKILL).
  absl::StatusOr<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(
      {ROOMD_BINARY, "--listen=127.0.0.1:0", "--broker=" + redis_->url(), "--node_id=node-c",
       "--presence_expiry=2s", "--heartbeat_interval=200ms"});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<ChildProcess> node_c = *std::move(started);
  const int port = node_c->WaitForPort("listening on 127.0.0.1:");
  ASSERT_NE(port, 0) << node_c->Output();

  auto alice = JoinAs(*a_, "lobby", "alice@example.com");
  ChatTestClient bob(ChannelTo(absl::StrCat("127.0.0.1:", port)));
  ASSERT_TRUE(bob.Join("lobby", "bob@example.com"));
  ASSERT_TRUE(bob.WaitForWelcome()) << node_c->Output();
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));

  node_c->Kill(SIGKILL);
  // Nodes A and B declare C dead within the expiry (2 s) plus a heartbeat; the deadline here
  // only bounds a broken build.
  std::optional<ServerEvent> left = alice->WaitFor(IsLeft("bob"), absl::Seconds(30));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 1u);
  EXPECT_EQ(OnlineNames(*b_, "lobby"), std::vector<std::string>{"alice"});
}

TEST_F(TwoNodeTest, NodeShutdownTakesItsUsersOfflineAtOnce) {
  auto alice = JoinAs(*a_, "lobby", "alice@example.com");
  auto bob = JoinAs(*b_, "lobby", "bob@example.com");
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));
  b_->Shutdown();
  std::optional<ServerEvent> left = alice->WaitFor(IsLeft("bob"));
  ASSERT_TRUE(left);
  EXPECT_EQ(OnlineNames(*a_, "lobby"), std::vector<std::string>{"alice"});
}

TEST_F(TwoNodeTest, WhileRedisIsDownSendsFailUnavailableThenServiceResumes) {
  auto alice = JoinAs(*a_, "lobby", "alice@example.com");
  auto bob = JoinAs(*b_, "lobby", "bob@example.com");
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));
  ASSERT_TRUE(alice->Send("before", "c1"));
  std::optional<ServerEvent> before = bob->WaitFor(IsMessage("before"));
  ASSERT_TRUE(before);
  ASSERT_EQ(before->message().seq(), 1u);
  // Both nodes have seen seq 1 (what lets them carry the seq over a Redis that forgets).
  ASSERT_TRUE(alice->WaitFor(IsMessage("before")));

  redis_->Kill();
  // Whether node A has noticed yet or finds out while sending, the send fails clearly.
  ASSERT_TRUE(alice->Send("during", "c2"));
  std::optional<ServerEvent> error = alice->WaitFor(IsErrorFor("c2"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error().code(), "UNAVAILABLE");
  EXPECT_NE(error->error().message().find("message broker unavailable"), std::string::npos)
      << error->error().message();
  grpc::Status post = Post(*b_, "lobby", "bot@example.com", "during");
  EXPECT_EQ(post.error_code(), grpc::StatusCode::UNAVAILABLE) << post.error_message();
  // Joining is refused rather than left hanging.
  ChatTestClient late(ChannelTo(a_->address()));
  ASSERT_TRUE(late.Join("lobby", "late@example.com"));
  grpc::Status refused = late.WaitForFinish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();

  std::string why;
  ASSERT_TRUE(redis_->Restart(&why)) << why;
  ASSERT_TRUE(a_->WaitForBroker(absl::Seconds(30)));
  ASSERT_TRUE(b_->WaitForBroker(absl::Seconds(30)));
  // A send now waits, if need be, for the room to resync. Should the fresh link drop
  // again the send fails with an Error; try again a few times, each waiting for its outcome.
  std::optional<ServerEvent> after;
  for (int attempt = 0; attempt < 5 && !after; ++attempt) {
    const std::string id = absl::StrCat("after-", attempt);
    ASSERT_TRUE(alice->Send("after", id));
    std::optional<ServerEvent> outcome = alice->WaitFor([id](const ServerEvent& event) {
      return (event.has_error() || event.has_message()) &&
             (event.error().client_id() == id || event.message().client_id() == id);
    });
    ASSERT_TRUE(outcome);
    if (outcome->has_message()) {
      after = outcome;
    } else {
      ASSERT_TRUE(a_->WaitForBroker(absl::Seconds(30)));
    }
  }
  ASSERT_TRUE(after);
  // Redis lost the room, but the nodes knew its last seq: seqs go on, no reuse.
  EXPECT_EQ(after->message().seq(), 2u);
  std::optional<ServerEvent> at_bob = bob->WaitFor(IsMessage("after"));
  ASSERT_TRUE(at_bob);
  EXPECT_EQ(at_bob->message().seq(), 2u);
  // Both nodes announced their users again (in whichever order they got there).
  std::vector<std::string> online = OnlineNames(*a_, "lobby");
  std::sort(online.begin(), online.end());
  EXPECT_EQ(online, (std::vector<std::string>{"alice", "bob"}));
  auto carol = JoinAs(*b_, "lobby", "carol@example.com");
  ASSERT_TRUE(alice->WaitFor(IsJoined("carol")));
}

// Redis restarts empty (no persistence): its ledger of sends is gone, but the nodes that
// held the room saw the original and still know it. A resend to either of them, on a new
// stream or as a unary Post, gets the original back; nothing is posted twice.
TEST_F(TwoNodeTest, AResendAfterRedisLostItsDataIsNotPostedAgain) {
  auto bob = JoinAs(*b_, "lobby", "bob@example.com");
  {
    auto alice = JoinAs(*a_, "lobby", "alice@example.com");
    ASSERT_TRUE(alice->Send("once", "c1"));
    std::optional<ServerEvent> original = bob->WaitFor(IsMessage("once"));
    ASSERT_TRUE(original);
    ASSERT_EQ(original->message().seq(), 1u);
    ASSERT_TRUE(alice->WaitFor(IsMessage("once")));  // node A applied it too
    alice->Cancel();
  }

  redis_->Kill();
  std::string why;
  ASSERT_TRUE(redis_->Restart(&why)) << why;
  ASSERT_TRUE(a_->WaitForBroker(absl::Seconds(30)));
  ASSERT_TRUE(b_->WaitForBroker(absl::Seconds(30)));

  // Alice comes back to node A and resends what she never saw echoed. Should the fresh link
  // drop again the join or send fails; try again a few times, each waiting for its outcome.
  std::optional<ServerEvent> echo;
  for (int attempt = 0; attempt < 5 && !echo; ++attempt) {
    ChatTestClient alice(ChannelTo(a_->address()));
    ASSERT_TRUE(alice.Join("lobby", "alice@example.com"));
    if (!alice.WaitForWelcome()) {
      ASSERT_TRUE(a_->WaitForBroker(absl::Seconds(30)));
      continue;
    }
    ASSERT_TRUE(alice.Send("once", "c1"));
    std::optional<ServerEvent> outcome = alice.WaitFor([](const ServerEvent& event) {
      return (event.has_error() && event.error().client_id() == "c1") ||
             (event.has_message() && event.message().client_id() == "c1");
    });
    ASSERT_TRUE(outcome);
    if (outcome->has_message()) {
      echo = outcome;
    } else {
      ASSERT_TRUE(a_->WaitForBroker(absl::Seconds(30)));
    }
  }
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->message().seq(), 1u);

  // The same resend as a unary Post through node B (which holds the room: bob is there).
  chat::v1::PostRequest request;
  request.set_room("lobby");
  request.set_email("alice@example.com");
  request.set_text("once");
  request.set_client_id("c1");
  chat::v1::PostResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  grpc::Status status = StubFor(*b_)->Post(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.duplicate());
  EXPECT_EQ(response.message().seq(), 1u);

  // The next message is seq 2, and bob saw "once" exactly once.
  ASSERT_TRUE(Post(*a_, "lobby", "carol@example.com", "next").ok());
  std::optional<ServerEvent> next = bob->WaitFor(IsMessage("next"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message().seq(), 2u);
  EXPECT_EQ(MessagesWithText(bob->events(), "once").size(), 1u);
}

}  // namespace
}  // namespace roomd::testing
