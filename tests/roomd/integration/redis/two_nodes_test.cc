// Two roomd nodes sharing rooms through one Redis: presence, messages, history, typing and
// the unary RPCs agree whichever node a client uses.

#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "roomd/core/roomd_metrics.h"
#include "tests/roomd/integration/redis/two_node_fixture.h"
#include "tests/support/relay_test_client.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

bool IsAnyMessage(const ServerEvent& event) { return event.has_message(); }

TEST_F(TwoNodeTest, ClientsOnBothNodesSeePresenceAndEveryMessageInOneSeqOrder) {
  ServerEvent welcome;
  auto alice = JoinAs(*a_, "lobby", "alice@example.com", &welcome);
  ASSERT_EQ(welcome.welcome().online_size(), 1);
  auto bob = JoinAs(*b_, "lobby", "bob@example.com", &welcome);
  ASSERT_EQ(welcome.welcome().online_size(), 2);
  EXPECT_EQ(welcome.welcome().online(0).name(), "alice");  // join order, across nodes
  EXPECT_EQ(welcome.welcome().online(1).name(), "bob");
  std::optional<ServerEvent> joined = alice->WaitFor(IsJoined("bob"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence().online_count(), 2u);
  auto carol = JoinAs(*a_, "lobby", "carol@example.com", &welcome);
  EXPECT_EQ(welcome.welcome().online_size(), 3);
  joined = bob->WaitFor(IsJoined("carol"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence().online_count(), 3u);  // global, not per node
  ASSERT_TRUE(alice->WaitFor(IsJoined("carol")));

  constexpr int kPerClient = 20;
  ChatTestClient* clients[] = {alice.get(), bob.get(), carol.get()};
  for (int i = 0; i < kPerClient; ++i) {
    for (int c = 0; c < 3; ++c) {
      ASSERT_TRUE(clients[c]->Send(absl::StrCat("m", c, "-", i), absl::StrCat("id", c, "-", i)));
    }
  }
  std::vector<std::string> orders[3];
  for (int c = 0; c < 3; ++c) {
    uint64_t next_seq = 1;
    int own = 0;
    for (int n = 0; n < 3 * kPerClient; ++n) {
      std::optional<ServerEvent> event = clients[c]->WaitFor(IsAnyMessage);
      ASSERT_TRUE(event) << "client " << c << " message " << n;
      EXPECT_EQ(event->message().seq(), next_seq++);  // no gap, no duplicate
      orders[c].push_back(event->message().text());
      if (event->message().text().rfind(absl::StrCat("m", c, "-"), 0) == 0) {
        EXPECT_EQ(event->message().client_id(), absl::StrCat("id", c, "-", own++));
      }
    }
    EXPECT_EQ(own, kPerClient);
  }
  EXPECT_EQ(orders[0], orders[1]);
  EXPECT_EQ(orders[0], orders[2]);
}

TEST_F(TwoNodeTest, HistoryAndResumeWorkFromEitherNode) {
  for (int i = 1; i <= 5; ++i) {
    chat::v1::PostResponse response;
    ASSERT_TRUE(Post(i % 2 == 0 ? *a_ : *b_, "lobby", "bot@example.com", absl::StrCat("h", i),
                     &response)
                    .ok());
    EXPECT_EQ(response.message().seq(), static_cast<uint64_t>(i));
  }
  ServerEvent welcome;
  auto alice = JoinAs(*b_, "lobby", "alice@example.com", &welcome);
  ASSERT_EQ(welcome.welcome().history_size(), 5);
  EXPECT_EQ(welcome.welcome().history(0).text(), "h1");
  EXPECT_EQ(welcome.welcome().last_seq(), 5u);

  auto resumed = JoinAs(*a_, "lobby", "alice@example.com", &welcome, /*after_seq=*/3);
  ASSERT_EQ(welcome.welcome().history_size(), 2);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 4u);
  EXPECT_EQ(welcome.welcome().history(1).seq(), 5u);

  chat::v1::GetHistoryRequest request;
  request.set_room("lobby");
  request.set_after_seq(2);
  request.set_limit(2);
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext context;
  ASSERT_TRUE(StubFor(*b_)->GetHistory(&context, request, &history).ok());
  ASSERT_EQ(history.messages_size(), 2);
  EXPECT_EQ(history.messages(0).seq(), 3u);
  EXPECT_EQ(history.messages(1).text(), "h4");
  EXPECT_EQ(history.last_seq(), 5u);

  // Backward from before_seq: the newest `limit` below it, oldest first.
  request.set_after_seq(0);
  request.set_before_seq(5);
  chat::v1::GetHistoryResponse page;
  grpc::ClientContext page_context;
  ASSERT_TRUE(StubFor(*a_)->GetHistory(&page_context, request, &page).ok());
  ASSERT_EQ(page.messages_size(), 2);
  EXPECT_EQ(page.messages(0).seq(), 3u);
  EXPECT_EQ(page.messages(1).seq(), 4u);

  // Live messages continue right after the history, whichever node sends.
  ASSERT_TRUE(alice->Send("live"));
  std::optional<ServerEvent> live = resumed->WaitFor(IsMessage("live"));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->message().seq(), 6u);
}

TEST_F(TwoNodeTest, HistoryIsCappedAtTheHistorySize) {
  a_->Shutdown();
  ServerOptions options = NodeOptions("node-a");
  options.history_size = 3;
  a_ = StartNode(options);
  ASSERT_NE(a_, nullptr);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(Post(*a_, "lobby", "bot@example.com", absl::StrCat("h", i)).ok());
  }
  chat::v1::GetHistoryRequest request;
  request.set_room("lobby");
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext context;
  ASSERT_TRUE(StubFor(*a_)->GetHistory(&context, request, &history).ok());
  ASSERT_EQ(history.messages_size(), 3);  // the stream holds the last 3
  EXPECT_EQ(history.messages(0).seq(), 3u);
  EXPECT_EQ(history.last_seq(), 5u);
}

TEST_F(TwoNodeTest, OneUserConnectedToBothNodesIsOneUserOnline) {
  auto observer = JoinAs(*a_, "lobby", "olga@example.com");
  auto tab1 = JoinAs(*a_, "lobby", "alice@example.com");
  ASSERT_TRUE(observer->WaitFor(IsJoined("alice")));
  ServerEvent welcome;
  auto tab2 = JoinAs(*b_, "lobby", "Alice@Example.com", &welcome);
  EXPECT_EQ(welcome.welcome().online_size(), 2);

  ASSERT_TRUE(tab1->Leave());
  ASSERT_TRUE(tab1->WaitForFinish().ok());
  ASSERT_TRUE(Post(*b_, "lobby", "bot@example.com", "marker").ok());
  // Alice is still online through node B: the next event is the marker, no presence change.
  std::optional<ServerEvent> next = observer->Next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message().text(), "marker") << next->DebugString();

  tab2->Cancel();
  std::optional<ServerEvent> left = observer->WaitFor(IsLeft("alice"));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 1u);
  EXPECT_EQ(OnlineNames(*b_, "lobby"), std::vector<std::string>{"olga"});
}

TEST_F(TwoNodeTest, ConnectionsPerUserAreLimitedOnEachNode) {
  ServerOptions options = NodeOptions("node-c");
  options.max_connections_per_user = 2;
  std::unique_ptr<RoomServer> c = StartNode(options);
  ASSERT_NE(c, nullptr);
  auto tab1 = JoinAs(*c, "lobby", "alice@example.com");
  auto tab2 = JoinAs(*c, "lobby", "alice@example.com");
  auto tab3 = std::make_unique<ChatTestClient>(ChannelTo(c->address()));
  ASSERT_TRUE(tab3->Join("lobby", "ALICE@example.com"));
  const grpc::Status refused = tab3->WaitForFinish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "this user already has 2 connections in room \"lobby\" on this node; close one first");
  // The limit is per node: node A (default limit) still takes her, and the room works.
  auto tab_on_a = JoinAs(*a_, "lobby", "alice@example.com");
  ASSERT_TRUE(tab1->Send("from node c"));
  EXPECT_TRUE(tab_on_a->WaitFor(IsMessage("from node c")));
  c->Shutdown();
}

TEST_F(TwoNodeTest, TypingCrossesNodesAndExpires) {
  for (auto* node : {&a_, &b_}) {
    const std::string id = node == &a_ ? "node-a" : "node-b";
    (*node)->Shutdown();
    ServerOptions options = NodeOptions(id);
    options.typing_timeout = absl::Milliseconds(50);
    *node = StartNode(options);
    ASSERT_NE(*node, nullptr);
  }
  auto alice = JoinAs(*a_, "lobby", "alice@example.com");
  auto bob = JoinAs(*b_, "lobby", "bob@example.com");
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));
  ASSERT_TRUE(alice->Typing(true));
  auto is_typing = [](const ServerEvent& e) { return e.has_typing(); };
  std::optional<ServerEvent> typing = bob->WaitFor(is_typing);
  ASSERT_TRUE(typing);
  EXPECT_TRUE(typing->typing().active());
  EXPECT_EQ(typing->typing().user().name(), "alice");
  typing = bob->WaitFor(is_typing);
  ASSERT_TRUE(typing);
  EXPECT_FALSE(typing->typing().active());  // expired by itself on alice's node

  ASSERT_TRUE(alice->Send("after typing"));
  ASSERT_TRUE(alice->WaitFor(IsMessage("after typing")));
  for (const ServerEvent& event : alice->events()) {
    EXPECT_FALSE(event.has_typing()) << "the typist got its own notice";
  }
}

TEST_F(TwoNodeTest, UnaryPresenceAndRoomListAreGlobal) {
  auto alice = JoinAs(*a_, "lobby", "alice@example.com");
  auto bob = JoinAs(*b_, "lobby", "bob@example.com");
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));
  EXPECT_EQ(OnlineNames(*a_, "lobby"), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(OnlineNames(*b_, "nowhere"), std::vector<std::string>{});
  ASSERT_TRUE(Post(*a_, "attic", "bot@example.com", "dust").ok());

  chat::v1::ListRoomsResponse rooms;
  grpc::ClientContext context;
  ASSERT_TRUE(StubFor(*b_)->ListRooms(&context, chat::v1::ListRoomsRequest(), &rooms).ok());
  ASSERT_EQ(rooms.rooms_size(), 2);
  EXPECT_EQ(rooms.rooms(0).name(), "attic");
  EXPECT_EQ(rooms.rooms(0).last_seq(), 1u);
  EXPECT_EQ(rooms.rooms(1).name(), "lobby");
  EXPECT_EQ(rooms.rooms(1).online_count(), 2u);
}

// A joiner's Welcome (history) and the live messages after it have no gap and no duplicate,
// even while messages keep coming from the other node.
TEST_F(TwoNodeTest, WelcomeAndLiveMessagesJoinWithoutGapUnderTraffic) {
  constexpr int kMessages = 200;
  constexpr int kJoiners = 5;
  // Joiner j must have joined before message kGateSpacing * (j + 1) goes out, so every join
  // lands mid-stream however slowly the joins run (a joiner that arrived after the last
  // message would only see it in its Welcome's history).
  constexpr int kGateSpacing = kMessages / (kJoiners + 1);
  auto sender = JoinAs(*a_, "busy", "sender@example.com");
  std::atomic<bool> sent_all{false};
  std::atomic<int> joined{0};
  std::thread sending([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (i > 0 && i % kGateSpacing == 0 && i / kGateSpacing <= kJoiners) {
        const absl::Time deadline = absl::Now() + absl::Seconds(20);
        while (joined.load() < i / kGateSpacing && absl::Now() < deadline) {
          absl::SleepFor(absl::Milliseconds(1));
        }
        ASSERT_GE(joined.load(), i / kGateSpacing) << "joiner " << i / kGateSpacing - 1;
      }
      ASSERT_TRUE(sender->Send(absl::StrCat("m", i)));
      if (i % 10 == 9) {  // paced by its own echoes, so joins land mid-stream
        ASSERT_TRUE(sender->WaitFor(IsMessage(absl::StrCat("m", i))));
      }
    }
    sent_all = true;
  });
  std::vector<std::unique_ptr<ChatTestClient>> joiners;
  std::vector<ServerEvent> welcomes;
  for (int j = 0; j < kJoiners; ++j) {
    ServerEvent welcome;
    joiners.push_back(JoinAs(*b_, "busy", absl::StrCat("joiner", j, "@example.com"), &welcome));
    welcomes.push_back(welcome);
    ++joined;
  }
  sending.join();
  ASSERT_TRUE(sent_all);
  const std::string last = absl::StrCat("m", kMessages - 1);
  for (int j = 0; j < kJoiners; ++j) {
    ASSERT_LT(welcomes[j].welcome().last_seq(), static_cast<uint64_t>(kMessages))
        << "joiner " << j << " joined after the traffic";
    ASSERT_TRUE(joiners[j]->WaitFor(IsMessage(last))) << "joiner " << j;
    std::vector<uint64_t> seqs;
    for (const chat::v1::ChatMessage& message : welcomes[j].welcome().history()) {
      seqs.push_back(message.seq());
    }
    if (!seqs.empty()) {
      EXPECT_EQ(seqs.back(), welcomes[j].welcome().last_seq());
    }
    for (const ServerEvent& event : joiners[j]->events()) {
      if (event.has_message()) {
        seqs.push_back(event.message().seq());
      }
    }
    // Without history the first live message follows the Welcome's last_seq.
    const uint64_t first = welcomes[j].welcome().history_size() > 0
                               ? welcomes[j].welcome().history(0).seq()
                               : welcomes[j].welcome().last_seq() + 1;
    ASSERT_FALSE(seqs.empty());
    for (size_t k = 0; k < seqs.size(); ++k) {
      ASSERT_EQ(seqs[k], first + k) << "joiner " << j << " at " << k;
    }
    EXPECT_EQ(seqs.back(), static_cast<uint64_t>(kMessages));
  }
}

// A relay session whose join waits for the shared room to sync holds the events sent right
// behind the join, and hands them over once its Welcome is out, in order.
TEST_F(TwoNodeTest, RelaySessionsJoiningASharedRoomKeepTheEventsSentBehindTheJoin) {
  auto bob = JoinAs(*b_, "relayroom", "bob@example.com");
  std::unique_ptr<chat::v1::ChatService::Stub> stub = StubFor(*a_);
  RelayTestClient relay(stub.get());
  chat::v1::RelayUp up;
  for (uint64_t session : {1, 2}) {
    auto* join = up.add_items();
    join->set_session(session);
    join->mutable_event()->mutable_join()->set_room("relayroom");
    join->mutable_event()->mutable_join()->set_email(absl::StrCat("user", session, "@example.com"));
    for (int i = 0; i < 3; ++i) {
      auto* send = up.add_items();
      send->set_session(session);
      send->mutable_event()->mutable_send()->set_text(absl::StrCat("early ", session, "-", i));
    }
  }
  ASSERT_TRUE(relay.Write(up));
  for (uint64_t session : {1, 2}) {
    ASSERT_TRUE(relay.WaitFor(session, IsWelcome())) << session;
  }
  std::set<std::string> sent;
  for (uint64_t session : {1, 2}) {
    for (int i = 0; i < 3; ++i) {  // each session's own messages in its order
      const std::string text = absl::StrCat("early ", session, "-", i);
      EXPECT_TRUE(relay.WaitFor(session, IsMessage(text))) << text;
      sent.insert(text);
    }
  }
  std::set<std::string> seen;  // the two sessions' messages interleave in any order
  EXPECT_TRUE(bob->WaitFor([&](const ServerEvent& event) {
    if (event.has_message()) {
      seen.insert(event.message().text());
    }
    return seen == sent;
  }));
}

// A client cut off from node A right after a send resends through node B: the shared
// ledger in Redis knows the client_id, so nothing is posted twice.
TEST_F(TwoNodeTest, AResendThroughTheOtherNodeIsNeverADuplicate) {
  auto watcher = JoinAs(*b_, "resend", "watcher@example.com");
  {
    auto ann = JoinAs(*a_, "resend", "ann@example.com");
    ASSERT_TRUE(ann->Send("only once", "ann-1"));
    ASSERT_TRUE(watcher->WaitFor(IsMessage("only once")));  // node A did post it
    ann->Cancel();
  }
  auto ann = JoinAs(*b_, "resend", "ann@example.com");
  ASSERT_TRUE(ann->Send("only once", "ann-1"));
  std::optional<ServerEvent> echo = ann->WaitFor(IsMessage("only once"));
  ASSERT_TRUE(echo);
  ASSERT_TRUE(ann->Send("next", "ann-2"));
  std::optional<ServerEvent> next = watcher->WaitFor(IsMessage("next"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message().seq(), echo->message().seq() + 1);
  const std::vector<chat::v1::ChatMessage> copies =
      MessagesWithText(watcher->events(), "only once");
  for (const chat::v1::ChatMessage& copy : copies) {
    EXPECT_EQ(copy.seq(), echo->message().seq());
    EXPECT_EQ(copy.sent_at().seconds(), echo->message().sent_at().seconds());
  }
  EXPECT_EQ(copies.size(), 1u);
}

// Unary Posts through Redis count in chat_messages_total as a stream's sends do.
TEST_F(TwoNodeTest, UnaryPostsCountAsMessages) {
  const uint64_t before = RoomdMetrics::Get().messages->Value();
  ASSERT_TRUE(Post(*a_, "counted", "bot@example.com", "one").ok());
  ASSERT_TRUE(Post(*b_, "counted", "bot@example.com", "two").ok());
  EXPECT_EQ(RoomdMetrics::Get().messages->Value(), before + 2);
}

// Both nodes name a shared room's numbering alike (the epoch lives in Redis), so a client
// resumes on either node without a reset.
TEST_F(TwoNodeTest, BothNodesGiveTheSameEpochAndResumeAcrossThem) {
  ASSERT_TRUE(Post(*a_, "epoch", "bot@example.com", "one").ok());
  ASSERT_TRUE(Post(*b_, "epoch", "bot@example.com", "two").ok());
  ServerEvent on_a;
  auto ann = JoinAs(*a_, "epoch", "ann@example.com", &on_a);
  ServerEvent on_b;
  auto bob = JoinAs(*b_, "epoch", "bob@example.com", &on_b);
  ASSERT_FALSE(on_a.welcome().epoch().empty());
  EXPECT_EQ(on_a.welcome().epoch(), on_b.welcome().epoch());
  auto carol = std::make_unique<ChatTestClient>(ChannelTo(b_->address()));
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room("epoch");
  join.mutable_join()->set_email("carol@example.com");
  join.mutable_join()->set_after_seq(1);
  join.mutable_join()->set_epoch(on_a.welcome().epoch());
  ASSERT_TRUE(carol->Write(join));
  std::optional<ServerEvent> welcome = carol->WaitForWelcome();
  ASSERT_TRUE(welcome);
  EXPECT_FALSE(welcome->welcome().history_reset());
  ASSERT_EQ(welcome->welcome().history_size(), 1);
  EXPECT_EQ(welcome->welcome().history(0).text(), "two");
}

}  // namespace
}  // namespace roomd::testing
