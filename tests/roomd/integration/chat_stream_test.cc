// The Chat stream end to end over a real gRPC channel.

#include <set>

#include "absl/strings/str_cat.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

class ChatStreamTest : public RoomdTest {
 protected:
  void SetUp() override { StartServer(); }
};

TEST_F(ChatStreamTest, ClientsSeePresenceAndEveryMessageInOneOrder) {
  ServerEvent welcome;
  auto alice = JoinAs("lobby", "alice@example.com", &welcome);
  EXPECT_EQ(welcome.welcome().self().name(), "alice");
  EXPECT_EQ(welcome.welcome().online_size(), 1);
  auto bob = JoinAs("lobby", "bob@example.com", &welcome);
  EXPECT_EQ(welcome.welcome().online_size(), 2);
  ASSERT_TRUE(alice->WaitFor(IsJoined("bob")));
  auto carol = JoinAs("lobby", "carol@example.com", &welcome);
  EXPECT_EQ(welcome.welcome().online_size(), 3);
  std::optional<ServerEvent> joined = alice->WaitFor(IsJoined("carol"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence().online_count(), 3u);
  ASSERT_TRUE(bob->WaitFor(IsJoined("carol")));

  constexpr int kPerClient = 20;
  ChatTestClient* clients[] = {alice.get(), bob.get(), carol.get()};
  for (int i = 0; i < kPerClient; ++i) {
    for (int c = 0; c < 3; ++c) {
      ASSERT_TRUE(clients[c]->Send(absl::StrCat("m", c, "-", i),
                                   absl::StrCat("id", c, "-", i)));
    }
  }
  std::vector<std::string> orders[3];
  for (int c = 0; c < 3; ++c) {
    uint64_t next_seq = 1;
    int own = 0;
    for (int n = 0; n < 3 * kPerClient; ++n) {
      std::optional<ServerEvent> event =
          clients[c]->WaitFor([](const ServerEvent& e) { return e.has_message(); });
      ASSERT_TRUE(event) << "client " << c << " message " << n;
      EXPECT_EQ(event->message().seq(), next_seq++);  // no gap, no duplicate
      EXPECT_TRUE(event->message().has_sent_at());
      orders[c].push_back(event->message().text());
      if (event->message().text().rfind(absl::StrCat("m", c, "-"), 0) == 0) {
        // The sender gets its own message back, with its client_id echoed.
        EXPECT_EQ(event->message().client_id(),
                  absl::StrCat("id", c, "-", own++));
      }
    }
    EXPECT_EQ(own, kPerClient);
  }
  EXPECT_EQ(orders[0], orders[1]);
  EXPECT_EQ(orders[0], orders[2]);
}

TEST_F(ChatStreamTest, WelcomeCarriesHistoryAndAfterSeqResumes) {
  for (int i = 1; i <= 5; ++i) {
    Post("lobby", "bot@example.com", absl::StrCat("h", i));
  }
  ServerEvent welcome;
  auto alice = JoinAs("lobby", "alice@example.com", &welcome);
  ASSERT_EQ(welcome.welcome().history_size(), 5);
  EXPECT_EQ(welcome.welcome().history(0).text(), "h1");
  EXPECT_EQ(welcome.welcome().history(4).seq(), 5u);
  EXPECT_EQ(welcome.welcome().last_seq(), 5u);

  auto resumed = JoinAs("lobby", "alice@example.com", &welcome, /*after_seq=*/3);
  ASSERT_EQ(welcome.welcome().history_size(), 2);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 4u);
  EXPECT_EQ(welcome.welcome().history(1).seq(), 5u);

  // Live messages continue right after the history.
  ASSERT_TRUE(alice->Send("live"));
  std::optional<ServerEvent> live = resumed->WaitFor(IsMessage("live"));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->message().seq(), 6u);
}

TEST_F(ChatStreamTest, HistoryIsBoundedByTheFlag) {
  server_->Shutdown();
  ServerOptions options = TestOptions();
  options.history_size = 3;
  StartServer(options);
  for (int i = 1; i <= 5; ++i) {
    Post("lobby", "bot@example.com", absl::StrCat("h", i));
  }
  ServerEvent welcome;
  auto alice = JoinAs("lobby", "alice@example.com", &welcome);
  ASSERT_EQ(welcome.welcome().history_size(), 3);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 3u);
}

TEST_F(ChatStreamTest, LeaveCancelAndHalfCloseEachUpdatePresence) {
  auto observer = JoinAs("lobby", "olga@example.com");
  auto leaver = JoinAs("lobby", "leo@example.com");
  auto canceller = JoinAs("lobby", "cass@example.com");
  auto closer = JoinAs("lobby", "hal@example.com");
  ASSERT_TRUE(observer->WaitFor(IsJoined("hal")));

  ASSERT_TRUE(leaver->Leave());
  EXPECT_TRUE(leaver->WaitForFinish().ok());
  std::optional<ServerEvent> left = observer->WaitFor(IsLeft("leo"));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 3u);

  canceller->Cancel();
  left = observer->WaitFor(IsLeft("cass"));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 2u);

  closer->WritesDone();
  EXPECT_TRUE(closer->WaitForFinish().ok());
  left = observer->WaitFor(IsLeft("hal"));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 1u);

  // A client that goes away (call cancelled, channel closed) is removed too.
  {
    auto vanisher = JoinAs("lobby", "vic@example.com");
    ASSERT_TRUE(observer->WaitFor(IsJoined("vic")));
  }
  ASSERT_TRUE(observer->WaitFor(IsLeft("vic")));
  chat::v1::GetPresenceRequest request;
  request.set_room("lobby");
  chat::v1::GetPresenceResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetPresence(&context, request, &response).ok());
  ASSERT_EQ(response.online_size(), 1);
  EXPECT_EQ(response.online(0).name(), "olga");
}

TEST_F(ChatStreamTest, OneEmailInTwoConnectionsIsOneUser) {
  auto observer = JoinAs("lobby", "olga@example.com");
  auto tab1 = JoinAs("lobby", "alice@example.com");
  ASSERT_TRUE(observer->WaitFor(IsJoined("alice")));
  ServerEvent welcome;
  auto tab2 = JoinAs("lobby", "Alice@Example.com", &welcome);
  EXPECT_EQ(welcome.welcome().online_size(), 2);

  ASSERT_TRUE(tab1->Leave());
  ASSERT_TRUE(tab1->WaitForFinish().ok());  // the server has processed the leave
  Post("lobby", "bot@example.com", "marker");
  // The next event after alice's first tab left is the marker: no presence change.
  std::optional<ServerEvent> next = observer->Next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message().text(), "marker") << next->DebugString();

  tab2->Cancel();
  std::optional<ServerEvent> left = observer->WaitFor(IsLeft("alice"));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->presence().online_count(), 1u);
}

TEST_F(ChatStreamTest, TypingReachesOthersOnlyAndExpires) {
  server_->Shutdown();
  ServerOptions options = TestOptions();
  options.typing_timeout = absl::Milliseconds(50);
  StartServer(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  ASSERT_TRUE(alice->Typing(true));
  std::optional<ServerEvent> typing = bob->WaitFor([](const ServerEvent& e) { return e.has_typing(); });
  ASSERT_TRUE(typing);
  EXPECT_TRUE(typing->typing().active());
  EXPECT_EQ(typing->typing().user().name(), "alice");
  typing = bob->WaitFor([](const ServerEvent& e) { return e.has_typing(); });
  ASSERT_TRUE(typing);
  EXPECT_FALSE(typing->typing().active());  // expired by itself

  ASSERT_TRUE(alice->Send("after typing"));
  ASSERT_TRUE(alice->WaitFor(IsMessage("after typing")));
  for (const ServerEvent& event : alice->events()) {
    EXPECT_FALSE(event.has_typing()) << "the typist got its own notice";
  }
}

TEST_F(ChatStreamTest, RoomsAreIsolated) {
  auto a = JoinAs("red", "alice@example.com");
  auto b = JoinAs("blue", "bob@example.com");
  ASSERT_TRUE(a->Send("in red"));
  ASSERT_TRUE(a->WaitFor(IsMessage("in red")));
  ASSERT_TRUE(b->Send("in blue"));
  std::optional<ServerEvent> event = b->Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->message().text(), "in blue");
  EXPECT_EQ(event->message().seq(), 1u);
}

// A client that never asked for batches (a bot, a grpcurl script) gets one event per
// ServerEvent, even for a burst that roomd writes in a few passes.
TEST_F(ChatStreamTest, ManyFastMessagesArriveOneByOne) {
  auto reader = JoinAs("burst", "reader@example.com");
  auto writer = JoinAs("burst", "writer@example.com");
  ASSERT_TRUE(reader->WaitFor(IsJoined("writer")));
  constexpr int kMessages = 120;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(writer->Send(absl::StrCat("fast ", i)));
  }
  for (int i = 0; i < kMessages; ++i) {
    std::optional<ServerEvent> event =
        reader->WaitFor([](const ServerEvent& e) { return e.has_message(); });
    ASSERT_TRUE(event) << "message " << i;
    EXPECT_EQ(event->message().text(), absl::StrCat("fast ", i));
  }
  ASSERT_TRUE(writer->WaitFor(IsMessage(absl::StrCat("fast ", kMessages - 1))));
  EXPECT_EQ(reader->batches_received(), 0);
  EXPECT_EQ(writer->batches_received(), 0);
}

// A plain reader that fell behind gets its backlog in passes of many events, each written
// with gRPC's buffer hint but the last: more than the 64 KiB chttp2 holds for hinted writes,
// all of it one event per ServerEvent, and nothing held back after the pass (the next
// message arrives on its own).
TEST_F(ChatStreamTest, ABacklogLeavesInPassesOfHintedWritesAndNothingStaysHeld) {
  auto watcher = JoinAs("backlog", "watcher@example.com");
  auto late = Connect(/*read=*/false);
  ASSERT_TRUE(late->Join("backlog", "late@example.com"));
  // Joined before the posts, so they come as messages, not in its Welcome's history.
  ASSERT_TRUE(watcher->WaitFor(IsJoined("late")));
  constexpr int kMessages = 200;  // 200 KB: several passes, each beyond 64 KiB
  const std::string text(1000, 'b');
  for (int i = 0; i < kMessages; ++i) {
    Post("backlog", "bot@example.com", absl::StrCat(text, i));
  }
  late->StartReading();
  ASSERT_TRUE(late->WaitForWelcome());
  for (int i = 0; i < kMessages; ++i) {
    std::optional<ServerEvent> event =
        late->WaitFor([](const ServerEvent& e) { return e.has_message(); });
    ASSERT_TRUE(event) << "message " << i;
    EXPECT_EQ(event->message().seq(), static_cast<uint64_t>(i) + 1);
  }
  Post("backlog", "bot@example.com", "on its own");
  ASSERT_TRUE(late->WaitFor(IsMessage("on its own")));
  EXPECT_EQ(late->batches_received(), 0);
}

// A client whose connection is cut right after a send cannot know whether roomd got it:
// it sends again on a new stream, with the same client_id, and nothing is posted twice.
TEST_F(ChatStreamTest, AResendAfterACutConnectionIsNeverADuplicate) {
  auto watcher = JoinAs("resend", "watcher@example.com");
  {
    auto ann = JoinAs("resend", "ann@example.com");
    ASSERT_TRUE(ann->Send("only once", "ann-1"));
    ann->Cancel();  // cut right after the send: roomd may or may not have read it
  }
  auto ann = JoinAs("resend", "ann@example.com");
  ASSERT_TRUE(ann->Send("only once", "ann-1"));
  std::optional<ServerEvent> echo = ann->WaitFor(IsMessage("only once"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->message().client_id(), "ann-1");
  // A new message after it: once the watcher has it, it has everything before it.
  ASSERT_TRUE(ann->Send("next", "ann-2"));
  std::optional<ServerEvent> next = watcher->WaitFor(IsMessage("next"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message().seq(), echo->message().seq() + 1);
  const std::vector<chat::v1::ChatMessage> copies =
      MessagesWithText(watcher->events(), "only once");
  for (const chat::v1::ChatMessage& copy : copies) {
    EXPECT_EQ(copy.seq(), echo->message().seq());  // the original's seq
  }
  EXPECT_EQ(copies.size(), 1u);
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext context;
  chat::v1::GetHistoryRequest request;
  request.set_room("resend");
  ASSERT_TRUE(stub_->GetHistory(&context, request, &history).ok());
  EXPECT_EQ(history.messages_size(), 2);
  // The unary Post is idempotent the same way, and says so.
  chat::v1::PostRequest post;
  post.set_room("resend");
  post.set_email("ann@example.com");
  post.set_text("only once");
  post.set_client_id("ann-1");
  chat::v1::PostResponse response;
  grpc::ClientContext post_context;
  ASSERT_TRUE(stub_->Post(&post_context, post, &response).ok());
  EXPECT_TRUE(response.duplicate());
  EXPECT_EQ(response.message().seq(), echo->message().seq());
}

// A memory-broker roomd that restarts numbers its seqs from 1 again: the Welcome's epoch
// changes, and a client resuming with the old epoch is told to drop what it kept.
TEST_F(ChatStreamTest, ARestartedRoomdHasANewEpochAndResetsOldResumes) {
  ServerEvent welcome;
  std::string old_epoch;
  {
    auto ann = JoinAs("epoch", "ann@example.com", &welcome);
    old_epoch = welcome.welcome().epoch();
    ASSERT_FALSE(old_epoch.empty());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(ann->Send(absl::StrCat("before ", i)));
    }
    ASSERT_TRUE(ann->WaitFor(IsMessage("before 4")));
  }
  server_->Shutdown();
  StartServer();
  Post("epoch", "bot@example.com", "after 1");
  Post("epoch", "bot@example.com", "after 2");
  auto ann = std::make_unique<ChatTestClient>(NewChannel());
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room("epoch");
  join.mutable_join()->set_email("ann@example.com");
  join.mutable_join()->set_after_seq(5);
  join.mutable_join()->set_epoch(old_epoch);
  ASSERT_TRUE(ann->Write(join));
  std::optional<ServerEvent> resumed = ann->WaitForWelcome();
  ASSERT_TRUE(resumed);
  EXPECT_NE(resumed->welcome().epoch(), old_epoch);
  EXPECT_TRUE(resumed->welcome().history_reset());
  ASSERT_EQ(resumed->welcome().history_size(), 2);
  EXPECT_EQ(resumed->welcome().history(0).text(), "after 1");
  // Resuming with the new epoch is an ordinary resume.
  auto bob = std::make_unique<ChatTestClient>(NewChannel());
  join.mutable_join()->set_email("bob@example.com");
  join.mutable_join()->set_after_seq(1);
  join.mutable_join()->set_epoch(resumed->welcome().epoch());
  ASSERT_TRUE(bob->Write(join));
  std::optional<ServerEvent> plain = bob->WaitForWelcome();
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->welcome().history_reset());
  ASSERT_EQ(plain->welcome().history_size(), 1);
  EXPECT_EQ(plain->welcome().history(0).text(), "after 2");
}

}  // namespace
}  // namespace roomd::testing
