// roomd with --store=sqlite: acknowledged messages outlive the server, seq and rooms carry
// over a restart, history pages backward (unary and in-band), and a full store refuses
// sends without stopping the room; a resend after a restart is answered from the store.

#include "roomd/store/sqlite_store.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/roomd_fixture.h"
#include "tests/support/temp_dir.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

bool IsHistoryPage(const ServerEvent& event) { return event.has_history_page(); }

bool IsError(const ServerEvent& event) { return event.has_error(); }

std::vector<uint64_t> Seqs(const google::protobuf::RepeatedPtrField<chat::v1::ChatMessage>& m) {
  std::vector<uint64_t> seqs;
  for (const auto& message : m) {
    seqs.push_back(message.seq());
  }
  return seqs;
}

class StoreTest : public RoomdTest {
 protected:
  ServerOptions StoreOptions() {
    ServerOptions options = TestOptions();
    options.store = absl::StrCat("sqlite:", dir_.File("history.db"));
    return options;
  }

  grpc::Status History(uint64_t after_seq, uint64_t before_seq, uint32_t limit,
                       chat::v1::GetHistoryResponse* response) {
    chat::v1::GetHistoryRequest request;
    request.set_room("lobby");
    request.set_after_seq(after_seq);
    request.set_before_seq(before_seq);
    request.set_limit(limit);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->GetHistory(&context, request, response);
  }

  chat::testing::TempDir dir_;
};

TEST_F(StoreTest, SeqHistoryAndRoomsSurviveARestart) {
  StartServer(StoreOptions());
  std::string epoch;
  {
    ServerEvent first_welcome;
    auto ann = JoinAs("lobby", "ann@example.com", &first_welcome);
    epoch = first_welcome.welcome().epoch();
    ASSERT_FALSE(epoch.empty());
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(ann->Send(absl::StrCat("m", i)));
      std::optional<ServerEvent> echo = ann->WaitFor(IsMessage(absl::StrCat("m", i)));
      ASSERT_TRUE(echo);
      EXPECT_EQ(echo->message().seq(), static_cast<uint64_t>(i));
    }
  }
  EXPECT_EQ(Post("lobby", "bot@example.com", "m4").message().seq(), 4u);
  server_->Shutdown();
  server_.reset();

  StartServer(StoreOptions());
  chat::v1::ListRoomsResponse rooms;
  grpc::ClientContext list_context;
  ASSERT_TRUE(stub_->ListRooms(&list_context, chat::v1::ListRoomsRequest(), &rooms).ok());
  ASSERT_EQ(rooms.rooms_size(), 1);
  EXPECT_EQ(rooms.rooms(0).name(), "lobby");
  EXPECT_EQ(rooms.rooms(0).last_seq(), 4u);

  ServerEvent welcome;
  auto bob = JoinAs("lobby", "bob@example.com", &welcome, /*after_seq=*/2);
  EXPECT_EQ(Seqs(welcome.welcome().history()), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(welcome.welcome().last_seq(), 4u);
  // The numbering went on, so its name did too: a client resuming with it keeps its seqs.
  EXPECT_EQ(welcome.welcome().epoch(), epoch);
  EXPECT_FALSE(welcome.welcome().history_reset());
  ASSERT_TRUE(bob->Send("m5"));
  std::optional<ServerEvent> echo = bob->WaitFor(IsMessage("m5"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->message().seq(), 5u);

  chat::v1::GetHistoryResponse history;
  ASSERT_TRUE(History(0, 0, 0, &history).ok());
  EXPECT_EQ(Seqs(history.messages()), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(history.messages(0).text(), "m1");
  EXPECT_EQ(history.last_seq(), 5u);
}

// The client_ids a room sequenced are in the store, so a resend after a restart (the seq
// numbering goes on, so the new process must know them) gets the original back, on a Chat
// stream and through Post, and posts nothing.
TEST_F(StoreTest, AResendAfterARestartGetsTheOriginalAndPostsNothing) {
  StartServer(StoreOptions());
  chat::v1::ChatMessage original;
  {
    auto ann = JoinAs("lobby", "ann@example.com");
    ASSERT_TRUE(ann->Send("only once", "ann-1"));
    std::optional<ServerEvent> echo = ann->WaitFor(IsMessage("only once"));
    ASSERT_TRUE(echo);
    original = echo->message();
  }
  chat::v1::PostRequest post;
  post.set_room("lobby");
  post.set_email("bot@example.com");
  post.set_text("posted once");
  post.set_client_id("bot-1");
  chat::v1::PostResponse posted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->Post(&context, post, &posted).ok());
  }
  EXPECT_EQ(original.seq(), 1u);
  EXPECT_EQ(posted.message().seq(), 2u);
  server_->Shutdown();
  server_.reset();

  StartServer(StoreOptions());
  auto watcher = JoinAs("lobby", "watcher@example.com");
  auto ann = JoinAs("lobby", "ann@example.com");
  ASSERT_TRUE(ann->Send("only once", "ann-1"));
  std::optional<ServerEvent> echo = ann->WaitFor(IsMessage("only once"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->message().seq(), original.seq());
  EXPECT_EQ(echo->message().sent_at().seconds(), original.sent_at().seconds());
  EXPECT_EQ(echo->message().sent_at().nanos(), original.sent_at().nanos());
  chat::v1::PostResponse reposted;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->Post(&context, post, &reposted).ok());
  }
  EXPECT_TRUE(reposted.duplicate());
  EXPECT_EQ(reposted.message().seq(), posted.message().seq());
  // The same client_id from another user is another message.
  auto bob = JoinAs("lobby", "bob@example.com");
  ASSERT_TRUE(bob->Send("bob's own", "ann-1"));
  std::optional<ServerEvent> bobs = watcher->WaitFor(IsMessage("bob's own"));
  ASSERT_TRUE(bobs);
  EXPECT_EQ(bobs->message().seq(), 3u);  // the resends took no seq

  // Once the watcher has bob's message it has everything before it: no resend reached it.
  EXPECT_TRUE(MessagesWithText(watcher->events(), "only once").empty());
  EXPECT_TRUE(MessagesWithText(watcher->events(), "posted once").empty());
  chat::v1::GetHistoryResponse history;
  ASSERT_TRUE(History(0, 0, 0, &history).ok());
  EXPECT_EQ(Seqs(history.messages()), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(StoreTest, GetHistoryPagesBackwardBeyondTheRing) {
  ServerOptions options = StoreOptions();
  options.history_size = 5;
  StartServer(options);
  for (int i = 1; i <= 30; ++i) {
    Post("lobby", "bot@example.com", absl::StrCat("m", i));
  }
  chat::v1::GetHistoryResponse page;
  ASSERT_TRUE(History(0, 12, 4, &page).ok());
  EXPECT_EQ(Seqs(page.messages()), (std::vector<uint64_t>{8, 9, 10, 11}));
  EXPECT_EQ(page.last_seq(), 30u);
  chat::v1::GetHistoryResponse first;
  ASSERT_TRUE(History(0, 3, 10, &first).ok());
  EXPECT_EQ(Seqs(first.messages()), (std::vector<uint64_t>{1, 2}));
  chat::v1::GetHistoryResponse between;
  ASSERT_TRUE(History(20, 24, 10, &between).ok());
  EXPECT_EQ(Seqs(between.messages()), (std::vector<uint64_t>{21, 22, 23}));
}

TEST_F(StoreTest, BadPagingValuesAreInvalidArgument) {
  StartServer(StoreOptions());
  chat::v1::GetHistoryResponse page;
  grpc::Status too_many = History(0, 10, 1001, &page);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(too_many.error_message().find("limit 1001"), std::string::npos)
      << too_many.error_message();
  grpc::Status crossed = History(10, 10, 5, &page);
  EXPECT_EQ(crossed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(crossed.error_message().find("before_seq"), std::string::npos)
      << crossed.error_message();
}

TEST_F(StoreTest, HistoryPageInBandWalksBackToTheBeginning) {
  StartServer(StoreOptions());
  for (int i = 1; i <= 7; ++i) {
    Post("lobby", "bot@example.com", absl::StrCat("m", i));
  }
  auto ann = JoinAs("lobby", "ann@example.com");
  std::vector<uint64_t> seen;
  uint64_t before = 0;  // the newest page first
  for (int pages = 0; pages < 10; ++pages) {
    chat::v1::ClientEvent event;
    event.mutable_history_page()->set_before_seq(before);
    event.mutable_history_page()->set_limit(3);
    ASSERT_TRUE(ann->Write(event));
    std::optional<ServerEvent> page = ann->WaitFor(IsHistoryPage);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->history_page().last_seq(), 7u);
    if (page->history_page().messages_size() == 0) {
      break;
    }
    std::vector<uint64_t> seqs = Seqs(page->history_page().messages());
    seen.insert(seen.begin(), seqs.begin(), seqs.end());
    before = seqs.front();
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));

  chat::v1::ClientEvent bad;
  bad.mutable_history_page()->set_limit(5000);
  ASSERT_TRUE(ann->Write(bad));
  std::optional<ServerEvent> error = ann->WaitFor(IsError);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error().code(), "INVALID_ARGUMENT");
}

TEST_F(StoreTest, HistoryPageInBandWorksWithTheMemoryStoreToo) {
  StartServer();
  for (int i = 1; i <= 4; ++i) {
    Post("lobby", "bot@example.com", absl::StrCat("m", i));
  }
  auto ann = JoinAs("lobby", "ann@example.com");
  chat::v1::ClientEvent event;
  event.mutable_history_page()->set_before_seq(4);
  event.mutable_history_page()->set_limit(2);
  ASSERT_TRUE(ann->Write(event));
  std::optional<ServerEvent> page = ann->WaitFor(IsHistoryPage);
  ASSERT_TRUE(page);
  EXPECT_EQ(Seqs(page->history_page().messages()), (std::vector<uint64_t>{2, 3}));
}

TEST_F(StoreTest, AFullStoreRefusesSendsAndServiceResumesWhenSpaceReturns) {
  StartServer(StoreOptions());
  auto ann = JoinAs("lobby", "ann@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  ASSERT_TRUE(ann->Send("before", "c-0"));
  ASSERT_TRUE(bob->WaitFor(IsMessage("before")));
  auto* store = static_cast<SqliteStore*>(server_->store());
  absl::StatusOr<sqlite::Db> probe = sqlite::Db::Open(dir_.File("history.db"));
  ASSERT_TRUE(probe.ok());
  // A few pages of room left: some large messages fit, then the store is full.
  store->SetMaxPagesForTest(*probe->QueryInt("PRAGMA page_count") + 4);

  // Large messages fill the last pages quickly; each is acknowledged or refused.
  const std::string big(3000, 'x');
  uint64_t last_acked = 1;
  std::optional<ServerEvent> refusal;
  for (int i = 1; i <= 200 && !refusal; ++i) {
    const std::string client_id = absl::StrCat("c-", i);
    ASSERT_TRUE(ann->Send(big, client_id));
    std::optional<ServerEvent> answer = ann->WaitFor([&](const ServerEvent& event) {
      return (event.has_message() && event.message().client_id() == client_id) ||
             (event.has_error() && event.error().client_id() == client_id);
    });
    ASSERT_TRUE(answer);
    if (answer->has_error()) {
      refusal = answer;
    } else {
      EXPECT_EQ(answer->message().seq(), last_acked + 1);
      last_acked = answer->message().seq();
    }
  }
  ASSERT_TRUE(refusal) << "the store never filled";
  EXPECT_EQ(refusal->error().code(), "UNAVAILABLE");
  EXPECT_EQ(refusal->error().message(), kStoreFull);
  EXPECT_GT(last_acked, 1u) << "no message fitted before the store was full";
  // The room goes on: what was accepted reached bob, and typing still flows.
  std::optional<ServerEvent> last_seen = bob->WaitFor([&](const ServerEvent& event) {
    return event.has_message() && event.message().seq() == last_acked;
  });
  EXPECT_TRUE(last_seen);
  ASSERT_TRUE(ann->Typing(true));
  EXPECT_TRUE(bob->WaitFor([](const ServerEvent& event) { return event.has_typing(); }));

  store->SetMaxPagesForTest(1 << 20);
  // Sends are refused at once until the writer thread, after the failed batch's callbacks
  // (one of which told ann), opens the store again: on a busy machine that thread may wait
  // for a CPU longer than 50 quick refusals take (seen: 50 refused within 4 ms). So retry
  // until a deadline, not a count.
  std::optional<ServerEvent> resumed;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (int attempt = 0; !resumed && absl::Now() < deadline; ++attempt) {
    const std::string client_id = absl::StrCat("after-", attempt);
    ASSERT_TRUE(ann->Send("after", client_id));
    std::optional<ServerEvent> answer = ann->WaitFor([&](const ServerEvent& event) {
      return (event.has_message() && event.message().client_id() == client_id) ||
             (event.has_error() && event.error().client_id() == client_id);
    });
    ASSERT_TRUE(answer);
    if (answer->has_message()) {
      resumed = answer;
    }
  }
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->message().seq(), last_acked + 1);  // no seq was skipped
}

}  // namespace
}  // namespace roomd::testing
