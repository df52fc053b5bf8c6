// Post, ListRooms, GetPresence and GetHistory agree with the Chat stream.

#include "absl/strings/str_cat.h"
#include "roomd/core/roomd_metrics.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

class UnaryTest : public RoomdTest {
 protected:
  void SetUp() override { StartServer(); }
};

TEST_F(UnaryTest, PostReachesMembersAndLandsInHistory) {
  auto alice = JoinAs("lobby", "alice@example.com");
  ASSERT_TRUE(alice->Send("from the stream"));
  ASSERT_TRUE(alice->WaitFor(IsMessage("from the stream")));

  chat::v1::PostRequest request;
  request.set_room("lobby");
  request.set_email("  Bot@Example.com ");
  request.set_name("Robo");
  request.set_text("from post");
  request.set_client_id("p1");
  chat::v1::PostResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Post(&context, request, &response).ok());
  EXPECT_EQ(response.message().seq(), 2u);
  EXPECT_EQ(response.message().from().name(), "Robo");
  EXPECT_EQ(response.message().client_id(), "p1");
  EXPECT_TRUE(response.message().has_sent_at());

  std::optional<ServerEvent> seen = alice->WaitFor(IsMessage("from post"));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->message().seq(), 2u);
  EXPECT_EQ(seen->message().from().id(), response.message().from().id());

  chat::v1::GetHistoryRequest history_request;
  history_request.set_room("lobby");
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext history_context;
  ASSERT_TRUE(stub_->GetHistory(&history_context, history_request, &history).ok());
  ASSERT_EQ(history.messages_size(), 2);
  EXPECT_EQ(history.messages(0).text(), "from the stream");
  EXPECT_EQ(history.messages(1).text(), "from post");
  EXPECT_EQ(history.last_seq(), 2u);
}

// A refused Post counts in chat_messages_rejected_total by its code, as a refused Send does;
// an accepted one in chat_messages_total.
TEST_F(UnaryTest, RefusedPostsCountAsRejectedMessagesByCode) {
  RoomdMetrics& metrics = RoomdMetrics::Get();
  auto rejected = [&metrics](absl::StatusCode code) {
    return metrics.messages_rejected[static_cast<int>(code)]->Value();
  };
  const uint64_t invalid_before = rejected(absl::StatusCode::kInvalidArgument);
  const uint64_t accepted_before = metrics.messages->Value();

  grpc::Status status;
  Post("lobby", "bot@example.com", "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  Post("lobby", "not an email", "hello", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(rejected(absl::StatusCode::kInvalidArgument), invalid_before + 2);
  EXPECT_EQ(metrics.messages->Value(), accepted_before);

  Post("lobby", "bot@example.com", "hello");
  EXPECT_EQ(metrics.messages->Value(), accepted_before + 1);
  EXPECT_EQ(rejected(absl::StatusCode::kInvalidArgument), invalid_before + 2);
}

TEST_F(UnaryTest, PostCreatesTheRoomAndGetHistoryPages) {
  for (int i = 1; i <= 5; ++i) {
    Post("notes", "bot@example.com", absl::StrCat("n", i));
  }
  chat::v1::GetHistoryRequest request;
  request.set_room("notes");
  request.set_after_seq(1);
  request.set_limit(2);
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetHistory(&context, request, &history).ok());
  ASSERT_EQ(history.messages_size(), 2);
  EXPECT_EQ(history.messages(0).seq(), 2u);
  EXPECT_EQ(history.messages(1).seq(), 3u);
  EXPECT_EQ(history.last_seq(), 5u);

  request.set_room("nowhere");  // a room that does not exist has no history
  chat::v1::GetHistoryResponse empty;
  grpc::ClientContext empty_context;
  ASSERT_TRUE(stub_->GetHistory(&empty_context, request, &empty).ok());
  EXPECT_EQ(empty.messages_size(), 0);
}

TEST_F(UnaryTest, ListRoomsAndGetPresence) {
  auto alice = JoinAs("lobby", "alice@example.com");
  auto alice2 = JoinAs("lobby", "alice@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  Post("empty-room", "bot@example.com", "hello");

  chat::v1::ListRoomsResponse rooms;
  grpc::ClientContext list_context;
  ASSERT_TRUE(stub_->ListRooms(&list_context, chat::v1::ListRoomsRequest(), &rooms).ok());
  ASSERT_EQ(rooms.rooms_size(), 2);
  EXPECT_EQ(rooms.rooms(0).name(), "empty-room");
  EXPECT_EQ(rooms.rooms(0).online_count(), 0u);
  EXPECT_EQ(rooms.rooms(0).last_seq(), 1u);
  EXPECT_EQ(rooms.rooms(1).name(), "lobby");
  EXPECT_EQ(rooms.rooms(1).online_count(), 2u);  // users, not connections

  chat::v1::GetPresenceRequest request;
  request.set_room("lobby");
  chat::v1::GetPresenceResponse presence;
  grpc::ClientContext presence_context;
  ASSERT_TRUE(stub_->GetPresence(&presence_context, request, &presence).ok());
  EXPECT_EQ(presence.room(), "lobby");
  ASSERT_EQ(presence.online_size(), 2);
  EXPECT_EQ(presence.online(0).name(), "alice");
  EXPECT_EQ(presence.online(1).name(), "bob");
  EXPECT_EQ(presence.DebugString().find("example.com"), std::string::npos);
}

}  // namespace
}  // namespace roomd::testing
