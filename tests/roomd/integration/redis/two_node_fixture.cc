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

std::unique_ptr<chat::v1::ChatService::Stub> TwoNodeTest::StubFor(RoomServer& node) {
  return chat::v1::ChatService::NewStub(OwnChannel(node.address()));
}

grpc::Status TwoNodeTest::Post(RoomServer& node, const std::string& room,
                               const std::string& email, const std::string& text,
                               chat::v1::PostResponse* response) {
  chat::v1::PostResponse ignored;
  return PostText(*StubFor(node), room, email, text, response != nullptr ? response : &ignored);
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
