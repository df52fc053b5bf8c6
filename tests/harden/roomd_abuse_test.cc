// roomd under abuse over gRPC: the per-user limit, a burst of joins and leaves, a client
// that cancels mid-write, bad events from one stream, and streams that never join. The offender alone is affected:
// a well-behaved member of the same room receives every message, in order, throughout.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

// Waits for `texts`' messages on `client` and checks they arrive in that order with
// consecutive seqs (other senders' messages in between are allowed but must keep seq order).
void ExpectMessagesInOrder(ChatTestClient& client, const std::vector<std::string>& texts) {
  uint64_t last_seq = 0;
  size_t next = 0;
  while (next < texts.size()) {
    std::optional<ServerEvent> event =
        client.WaitFor([](const ServerEvent& e) { return e.has_message(); });
    ASSERT_TRUE(event.has_value()) << "missing message " << next << ": " << texts[next];
    if (last_seq != 0) {
      ASSERT_EQ(event->message().seq(), last_seq + 1) << "a gap or reorder before "
                                                      << event->message().text();
    }
    last_seq = event->message().seq();
    if (event->message().text() == texts[next]) {
      ++next;
    }
  }
}

class RoomdAbuseTest : public RoomdTest {
 protected:
  void SetUp() override {
    ServerOptions options = TestOptions();
    options.max_connections_per_user = 2;
    StartServer(options);
  }
};

TEST_F(RoomdAbuseTest, ConnectionsPerUserAreLimitedWithAClearError) {
  auto bob = JoinAs("lobby", "bob@example.com");
  auto ann1 = JoinAs("lobby", "ann@example.com");
  auto ann2 = JoinAs("lobby", "ann@example.com");
  auto ann3 = Connect();
  ASSERT_TRUE(ann3->Join("lobby", "ANN@example.com"));  // same user, any case
  const grpc::Status refused = ann3->WaitForFinish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "already has 2 connections"))
      << refused.error_message();
  // Other rooms and other users are not affected; the two accepted tabs still work.
  auto ann_elsewhere = JoinAs("other", "ann@example.com");
  ASSERT_TRUE(ann1->Send("from tab 1"));
  // Two streams have no order between them: let the first message land before the second.
  ASSERT_TRUE(ann1->WaitFor([](const ServerEvent& e) {
                    return e.has_message() && e.message().text() == "from tab 1";
                  }).has_value());
  ASSERT_TRUE(ann2->Send("from tab 2"));
  ExpectMessagesInOrder(*bob, {"from tab 1", "from tab 2"});
}

TEST_F(RoomdAbuseTest, BurstOfJoinsAndLeavesLosesNothingForOthers) {
  auto observer = JoinAs("lobby", "observer@example.com");
  auto sender = JoinAs("lobby", "sender@example.com");
  constexpr int kVisitors = 300;
  std::vector<std::string> texts;
  for (int i = 0; i < kVisitors; ++i) {
    // Everyone shares one channel (one TCP connection), as a bot farm would.
    ChatTestClient visitor(channel_);
    ASSERT_TRUE(visitor.Join("lobby", absl::StrCat("v", i, "@example.com")));
    if (i % 3 == 0) {
      ASSERT_TRUE(visitor.WaitForWelcome().has_value());
      ASSERT_TRUE(visitor.Leave());
      EXPECT_TRUE(visitor.WaitForFinish().ok());
    }  // else: the destructor cancels the call, joined or not
    if (i % 10 == 0) {
      texts.push_back(absl::StrCat("during the burst ", i));
      ASSERT_TRUE(sender->Send(texts.back()));
    }
  }
  texts.push_back("after the burst");
  ASSERT_TRUE(sender->Send(texts.back()));
  ExpectMessagesInOrder(*observer, texts);
  // Every visitor's presence is gone: only the two stay online.
  chat::v1::GetPresenceRequest request;
  request.set_room("lobby");
  for (int attempt = 0; attempt < 200; ++attempt) {
    chat::v1::GetPresenceResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetPresence(&context, request, &response).ok());
    if (response.online_size() == 2) {
      break;
    }
    // Cancelled visitors leave as their cancellations arrive: wait for the observer to see
    // one more presence event instead of sleeping.
    observer->WaitFor([](const ServerEvent& e) { return e.has_presence(); },
                      absl::Milliseconds(100));
    ASSERT_LT(attempt, 199) << "visitors still online: " << response.online_size();
  }
}

TEST_F(RoomdAbuseTest, ClientCancellingMidWriteAffectsOnlyItself) {
  auto observer = JoinAs("lobby", "observer@example.com");
  auto sender = JoinAs("lobby", "sender@example.com");
  std::vector<std::string> texts;
  for (int round = 0; round < 20; ++round) {
    auto rude = JoinAs("lobby", absl::StrCat("rude", round, "@example.com"));
    for (int i = 0; i < 50; ++i) {
      rude->Send(absl::StrCat("rude ", round, " ", i));  // may fail once cancelled
      if (i == 25) {
        rude->Cancel();
      }
    }
    texts.push_back(absl::StrCat("polite ", round));
    ASSERT_TRUE(sender->Send(texts.back()));
    EXPECT_EQ(rude->WaitForFinish().error_code(), grpc::StatusCode::CANCELLED);
  }
  ExpectMessagesInOrder(*observer, texts);
}

TEST_F(RoomdAbuseTest, BadEventsFromOneStreamLeaveTheRoomAlone) {
  auto observer = JoinAs("lobby", "observer@example.com");
  auto rude = JoinAs("lobby", "rude@example.com");
  std::vector<std::string> texts;
  const std::vector<std::string> bad_texts = {"", "   ", std::string(5000, 'x'),
                                              std::string("bell\a")};
  for (const std::string& text : bad_texts) {
    ASSERT_TRUE(rude->Send(text, "c-bad"));
    auto error = rude->WaitFor(IsError("INVALID_ARGUMENT"));
    ASSERT_TRUE(error.has_value()) << "no error for a bad text of " << text.size() << " bytes";
    EXPECT_EQ(error->error().client_id(), "c-bad");
    texts.push_back(absl::StrCat("still fine ", texts.size()));
    ASSERT_TRUE(rude->Send(texts.back()));
  }
  chat::v1::ClientEvent second_join;
  second_join.mutable_join()->set_room("other");
  second_join.mutable_join()->set_email("rude@example.com");
  ASSERT_TRUE(rude->Write(second_join));
  EXPECT_TRUE(rude->WaitFor(IsError("FAILED_PRECONDITION")).has_value());
  ASSERT_TRUE(rude->Write(chat::v1::ClientEvent()));  // no event set
  EXPECT_TRUE(rude->WaitFor(IsError("INVALID_ARGUMENT")).has_value());
  texts.push_back("the end");
  ASSERT_TRUE(rude->Send(texts.back()));
  ExpectMessagesInOrder(*observer, texts);
}

class RoomdJoinTimeoutTest : public RoomdTest {
 protected:
  void SetUp() override {
    ServerOptions options = TestOptions();
    // Long enough for the observer's own join to be read on a loaded machine under TSan.
    options.join_timeout = absl::Seconds(2);
    StartServer(options);
  }
};

TEST_F(RoomdJoinTimeoutTest, SilentStreamsAreEndedAndJoinedOnesStay) {
  auto observer = JoinAs("lobby", "observer@example.com");
  std::vector<std::unique_ptr<ChatTestClient>> silent;
  for (int i = 0; i < 20; ++i) {
    silent.push_back(Connect());  // opens the stream and says nothing
  }
  auto late = Connect();
  ASSERT_TRUE(late->Send("hello before join"));  // not a join either: refused at once
  EXPECT_EQ(late->WaitForFinish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  for (auto& stream : silent) {
    const grpc::Status status = stream->WaitForFinish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "join timeout: no join within 2s"))
        << status.error_message();
  }
  // The deadline has passed for the observer too; joined, it is unaffected.
  ASSERT_TRUE(observer->Send("still here"));
  ExpectMessagesInOrder(*observer, {"still here"});
}

}  // namespace
}  // namespace roomd::testing
