#pragma once

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "chat/v1/chat.grpc.pb.h"
#include "roomd/core/server_options.h"
#include "roomd/grpc/server.h"
#include "tests/roomd/integration/redis/redis_server.h"
#include "tests/support/chat_test_client.h"
#include "tests/support/child_process.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {

// One Redis of the test's own and two in-process roomd nodes, "node-a" and "node-b", sharing
// rooms through it; clients connect to either node over their own channels. Skipped (with
// the reason) when redis-server is not installed; scripts/test installs it.
class TwoNodeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Options of a node: short presence timing so expiry is quick to observe. A fixture that
  // needs other limits overrides it.
  virtual ServerOptions NodeOptions(const std::string& node_id) const;
  // Starts a node and waits until it reaches Redis.
  std::unique_ptr<RoomServer> StartNode(const ServerOptions& options);

  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) {
    return OwnChannel(address);
  }
  std::unique_ptr<chat::v1::ChatService::Stub> StubFor(RoomServer& node);
  // Connects to `node`, joins and waits for the Welcome (stored in *welcome if given).
  std::unique_ptr<ChatTestClient> JoinAs(RoomServer& node, const std::string& room,
                                         const std::string& email,
                                         chat::v1::ServerEvent* welcome = nullptr,
                                         uint64_t after_seq = 0) {
    return JoinedClient(node.address(), room, email, welcome, after_seq);
  }
  grpc::Status Post(RoomServer& node, const std::string& room, const std::string& email,
                    const std::string& text, chat::v1::PostResponse* response = nullptr);
  std::vector<std::string> OnlineNames(RoomServer& node, const std::string& room);

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RoomServer> a_;
  std::unique_ptr<RoomServer> b_;
};

}  // namespace roomd::testing
