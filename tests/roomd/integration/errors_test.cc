// Every error path of the stream and the unary RPCs, with its status or Error event.

#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

class ErrorsTest : public RoomdTest {
 protected:
  void SetUp() override { StartServer(); }

  void RestartWith(const ServerOptions& options) {
    server_->Shutdown();
    StartServer(options);
  }

  // Writes `event` first and expects the stream to end with `code` and a message containing
  // `message_part`.
  void ExpectStreamEnds(const chat::v1::ClientEvent& event, grpc::StatusCode code,
                        const std::string& message_part) {
    auto client = Connect();
    client->Write(event);
    const grpc::Status status = client->WaitForFinish();
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_NE(status.error_message().find(message_part), std::string::npos)
        << status.error_message();
  }

  static chat::v1::ClientEvent JoinEvent(const std::string& room, const std::string& email,
                                         const std::string& name = "") {
    chat::v1::ClientEvent event;
    event.mutable_join()->set_room(room);
    event.mutable_join()->set_email(email);
    event.mutable_join()->set_name(name);
    return event;
  }
};

TEST_F(ErrorsTest, FirstEventMustBeJoin) {
  chat::v1::ClientEvent send;
  send.mutable_send()->set_text("hello");
  ExpectStreamEnds(send, grpc::StatusCode::INVALID_ARGUMENT, "first event must be join");
  chat::v1::ClientEvent leave;
  leave.mutable_leave();
  ExpectStreamEnds(leave, grpc::StatusCode::INVALID_ARGUMENT, "first event must be join");
  ExpectStreamEnds(chat::v1::ClientEvent(), grpc::StatusCode::INVALID_ARGUMENT,
                   "first event must be join");
}

TEST_F(ErrorsTest, BadJoinsEndTheStream) {
  ExpectStreamEnds(JoinEvent("bad room!", "alice@example.com"),
                   grpc::StatusCode::INVALID_ARGUMENT, "room name");
  ExpectStreamEnds(JoinEvent("", "alice@example.com"), grpc::StatusCode::INVALID_ARGUMENT,
                   "room name");
  ExpectStreamEnds(JoinEvent(std::string(65, 'r'), "alice@example.com"),
                   grpc::StatusCode::INVALID_ARGUMENT, "room name");
  ExpectStreamEnds(JoinEvent("lobby", "not-an-email"), grpc::StatusCode::INVALID_ARGUMENT,
                   "@");
  ExpectStreamEnds(JoinEvent("lobby", ""), grpc::StatusCode::INVALID_ARGUMENT, "email");
  ExpectStreamEnds(JoinEvent("lobby", "alice@example.com", std::string(65, 'n')),
                   grpc::StatusCode::INVALID_ARGUMENT, "name");
  ExpectStreamEnds(JoinEvent("lobby", "alice@example.com", "tab\there"),
                   grpc::StatusCode::INVALID_ARGUMENT, "control");
  chat::v1::ClientEvent long_epoch = JoinEvent("lobby", "alice@example.com");
  long_epoch.mutable_join()->set_epoch(std::string(65, 'e'));
  ExpectStreamEnds(long_epoch, grpc::StatusCode::INVALID_ARGUMENT, "epoch");
}

TEST_F(ErrorsTest, MalformedEventEndsTheStream) {
  // protobuf refuses to parse a proto3 string that is not UTF-8: the whole event is malformed.
  ExpectStreamEnds(JoinEvent("lobby", "alice@example.com", "bad\xC3\x28"),
                   grpc::StatusCode::INVALID_ARGUMENT, "malformed ClientEvent");
}

TEST_F(ErrorsTest, BadSendsGetAnErrorEventAndTheStreamStays) {
  auto alice = JoinAs("lobby", "alice@example.com");
  struct Case {
    std::string text;
    std::string client_id;
    std::string message_part;
  };
  const Case cases[] = {
      {"", "c1", "empty"},
      {" \n\t ", "c2", "empty"},
      {std::string(4097, 'x'), "c3", "too long"},
      {"bell\a", "c4", "control"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(alice->Send(c.text, c.client_id));
    std::optional<ServerEvent> error = alice->WaitFor(IsError("INVALID_ARGUMENT"));
    ASSERT_TRUE(error) << c.client_id;
    EXPECT_EQ(error->error().client_id(), c.client_id);
    EXPECT_NE(error->error().message().find(c.message_part), std::string::npos)
        << error->error().message();
  }
  ASSERT_TRUE(alice->Send("x", std::string(129, 'c')));
  std::optional<ServerEvent> error = alice->WaitFor(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(error);
  EXPECT_NE(error->error().message().find("client_id"), std::string::npos);
  EXPECT_TRUE(error->error().client_id().empty());

  ASSERT_TRUE(alice->Send(std::string(4096, 'y'), "ok"));
  std::optional<ServerEvent> message =
      alice->WaitFor([](const ServerEvent& e) { return e.has_message(); });
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message().client_id(), "ok");
  EXPECT_EQ(message->message().seq(), 1u);  // none of the bad ones took a seq
}

TEST_F(ErrorsTest, RateLimitGivesAnErrorEventAndTheStreamStays) {
  ServerOptions options = TestOptions();
  options.rate_per_second = 0.001;  // effectively no refill during the test
  options.rate_burst = 2;
  RestartWith(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  ASSERT_TRUE(alice->Send("one", "1"));
  ASSERT_TRUE(alice->Send("two", "2"));
  ASSERT_TRUE(alice->Send("three", "3"));
  std::optional<ServerEvent> error = alice->WaitFor(IsError("RESOURCE_EXHAUSTED"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error().client_id(), "3");
  EXPECT_NE(error->error().message().find("rate limit"), std::string::npos);
  // The echoes may come after the Error (each event is a write of its own): read on, bounded,
  // until both are in.
  std::vector<std::string> texts;
  for (int reads = 0; reads < 10 && texts.size() < 2; ++reads) {
    texts.clear();
    for (const ServerEvent& event : alice->events()) {
      if (event.has_message()) {
        texts.push_back(event.message().text());
      }
    }
    if (texts.size() < 2) {
      alice->Next(absl::Seconds(2));
    }
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two"}));
  // Still open: a second join is answered with an Error event, not a status.
  ASSERT_TRUE(alice->Join("lobby", "alice@example.com"));
  ASSERT_TRUE(alice->WaitFor(IsError("FAILED_PRECONDITION")));
}

TEST_F(ErrorsTest, SecondJoinAndEmptyEventsGetErrorEvents) {
  auto alice = JoinAs("lobby", "alice@example.com");
  ASSERT_TRUE(alice->Join("other", "alice@example.com"));
  std::optional<ServerEvent> error = alice->WaitFor(IsError("FAILED_PRECONDITION"));
  ASSERT_TRUE(error);
  EXPECT_NE(error->error().message().find("already joined room \"lobby\""), std::string::npos);
  ASSERT_TRUE(alice->Write(chat::v1::ClientEvent()));
  ASSERT_TRUE(alice->WaitFor(IsError("INVALID_ARGUMENT")));
  ASSERT_TRUE(alice->Send("still here"));
  std::optional<ServerEvent> message = alice->WaitFor(IsMessage("still here"));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->message().room(), "lobby");
}

TEST_F(ErrorsTest, FullRoomIsRefused) {
  ServerOptions options = TestOptions();
  options.max_connections_per_room = 1;
  RestartWith(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  ExpectStreamEnds(JoinEvent("lobby", "bob@example.com"), grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "full");
}

TEST_F(ErrorsTest, TooManyRoomsIsRefused) {
  ServerOptions options = TestOptions();
  options.max_rooms = 1;
  RestartWith(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  ExpectStreamEnds(JoinEvent("other", "bob@example.com"), grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "too many rooms");
  grpc::Status status;
  Post("third", "bob@example.com", "hi", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ErrorsTest, FullServerIsRefused) {
  ServerOptions options = TestOptions();
  options.max_connections = 2;
  RestartWith(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  ExpectStreamEnds(JoinEvent("lobby", "carol@example.com"),
                   grpc::StatusCode::RESOURCE_EXHAUSTED, "too many connections");
  // A slot frees up when someone leaves.
  bob->Cancel();
  ASSERT_TRUE(server_->WaitForSessionsAtMost(1, absl::Seconds(20)));
  auto carol = JoinAs("lobby", "carol@example.com");
}

TEST_F(ErrorsTest, OversizedEventIsRefusedByTransportLimit) {
  auto alice = JoinAs("lobby", "alice@example.com");
  alice->Send(std::string(200 << 10, 'x'));
  const grpc::Status status = alice->WaitForFinish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
}

TEST_F(ErrorsTest, UnaryRpcsValidateLikeTheStream) {
  grpc::Status status;
  Post("bad room", "alice@example.com", "hi", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("room name"), std::string::npos);
  Post("lobby", "alice", "hi", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Post("lobby", "alice@example.com", "  ", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("empty"), std::string::npos);
  Post("lobby", "alice@example.com", std::string(4097, 'x'), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  chat::v1::GetPresenceRequest presence_request;
  presence_request.set_room("no/slashes");
  chat::v1::GetPresenceResponse presence;
  grpc::ClientContext presence_context;
  EXPECT_EQ(stub_->GetPresence(&presence_context, presence_request, &presence).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  chat::v1::GetHistoryRequest history_request;
  chat::v1::GetHistoryResponse history;
  grpc::ClientContext history_context;
  EXPECT_EQ(stub_->GetHistory(&history_context, history_request, &history).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace roomd::testing
