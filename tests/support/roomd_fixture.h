#pragma once

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "chat/v1/chat.grpc.pb.h"
#include "roomd/core/logger.h"
#include "roomd/core/server_options.h"
#include "roomd/grpc/server.h"
#include "tests/support/chat_test_client.h"

namespace roomd::testing {

// Runs an in-process roomd on 127.0.0.1:0 and connects clients to it, each over its own
// channel (its own TCP connection, like separate browsers).
class RoomdTest : public ::testing::Test {
 protected:
  static ServerOptions TestOptions() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.rate_per_second = 1000;
    options.rate_burst = 1000;
    return options;
  }

  void StartServer(const ServerOptions& options = TestOptions()) {
    absl::StatusOr<std::unique_ptr<RoomServer>> server = RoomServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = NewChannel();
    stub_ = chat::v1::ChatService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown();
    }
  }

  std::shared_ptr<grpc::Channel> NewChannel() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(),
                                     args);
  }

  std::unique_ptr<ChatTestClient> Connect(bool read = true) {
    return std::make_unique<ChatTestClient>(NewChannel(), read);
  }

  // Connects, joins and waits for the Welcome (stored in *welcome if given).
  std::unique_ptr<ChatTestClient> JoinAs(const std::string& room, const std::string& email,
                                         chat::v1::ServerEvent* welcome = nullptr,
                                         uint64_t after_seq = 0) {
    auto client = Connect();
    EXPECT_TRUE(client->Join(room, email, "", after_seq));
    std::optional<chat::v1::ServerEvent> event = client->WaitForWelcome();
    EXPECT_TRUE(event.has_value()) << "no welcome for " << email;
    if (welcome != nullptr && event.has_value()) {
      *welcome = *event;
    }
    return client;
  }

  chat::v1::PostResponse Post(const std::string& room, const std::string& email,
                              const std::string& text, grpc::Status* status_out = nullptr) {
    chat::v1::PostRequest request;
    request.set_room(room);
    request.set_email(email);
    request.set_text(text);
    chat::v1::PostResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->Post(&context, request, &response);
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }

  std::unique_ptr<RoomServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<chat::v1::ChatService::Stub> stub_;
};

}  // namespace roomd::testing
