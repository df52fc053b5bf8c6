#include "tests/roomd/integration/redis/two_node_fixture.h"

#include <optional>

#include "roomd/core/logger.h"

namespace roomd::testing {

void TwoNodeTest::SetUp() {
  if (chat::testing::FindProgram("redis-server").empty()) {
    GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server; "
                    "scripts/test installs it)";
  }
  std::string error;
  redis_ = RedisServer::Start(&error);
  ASSERT_NE(redis_, nullptr) << error;
  a_ = StartNode(NodeOptions("node-a"));
  ASSERT_NE(a_, nullptr);
  b_ = StartNode(NodeOptions("node-b"));
  ASSERT_NE(b_, nullptr);
}

void TwoNodeTest::TearDown() {
  for (auto* node : {&a_, &b_}) {
    if (*node != nullptr) {
      (*node)->Shutdown();
      node->reset();
    }
  }
  redis_.reset();
}

ServerOptions TwoNodeTest::NodeOptions(const std::string& node_id) const {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.rate_per_second = 1000;
  options.rate_burst = 1000;
  options.broker = redis_->url();
  options.node_id = node_id;
  options.presence_expiry = absl::Seconds(2);
  options.heartbeat_interval = absl::Milliseconds(200);
  options.broker_timeout = absl::Seconds(2);
  return options;
}

std::unique_ptr<RoomServer> TwoNodeTest::StartNode(const ServerOptions& options) {
  absl::StatusOr<std::unique_ptr<RoomServer>> server = RoomServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) {
    return nullptr;
  }
  EXPECT_TRUE((*server)->WaitForBroker(absl::Seconds(20))) << "node never reached Redis";
  return *std::move(server);
}

std::shared_ptr<grpc::Channel> TwoNodeTest::ChannelTo(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<chat::v1::ChatService::Stub> TwoNodeTest::StubFor(RoomServer& node) {
  return chat::v1::ChatService::NewStub(ChannelTo(node.address()));
}

std::unique_ptr<ChatTestClient> TwoNodeTest::JoinAs(RoomServer& node, const std::string& room,
                                                    const std::string& email,
                                                    chat::v1::ServerEvent* welcome,
                                                    uint64_t after_seq) {
  auto client = std::make_unique<ChatTestClient>(ChannelTo(node.address()));
  EXPECT_TRUE(client->Join(room, email, "", after_seq));
  std::optional<chat::v1::ServerEvent> event = client->WaitForWelcome();
  EXPECT_TRUE(event.has_value()) << "no welcome for " << email;
  if (welcome != nullptr && event.has_value()) {
    *welcome = *event;
  }
  return client;
}

grpc::Status TwoNodeTest::Post(RoomServer& node, const std::string& room,
                               const std::string& email, const std::string& text,
                               chat::v1::PostResponse* response) {
  chat::v1::PostRequest request;
  request.set_room(room);
  request.set_email(email);
  request.set_text(text);
  chat::v1::PostResponse ignored;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return StubFor(node)->Post(&context, request, response != nullptr ? response : &ignored);
}

std::vector<std::string> TwoNodeTest::OnlineNames(RoomServer& node, const std::string& room) {
  chat::v1::GetPresenceRequest request;
  request.set_room(room);
  chat::v1::GetPresenceResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  grpc::Status status = StubFor(node)->GetPresence(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const chat::v1::User& user : response.online()) {
    names.push_back(user.name());
  }
  return names;
}

}  // namespace roomd::testing
