#pragma once

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/v1/chat.grpc.pb.h"
#include "roomd/core/logger.h"
#include "roomd/core/server_options.h"
#include "roomd/grpc/server.h"
#include "tests/support/chat_test_client.h"

namespace roomd::testing {

// Calls to the roomd at `address` for integration tests, each client over a channel of its
// own (its own TCP connection, like separate browsers).

inline std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// A channel for a client that does not read. Its HTTP/2 windows stay small (BDP probing
// would grow them to megabytes), so what it leaves unread backs up into roomd after tens
// of kilobytes and the slow-consumer rules are reached in a few rounds, however busy the
// machine is.
inline std::shared_ptr<grpc::Channel> NonReadingChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// A client that joined `room` as `email` and got its Welcome (stored in *welcome if given);
// a test failure is recorded if none comes.
inline std::unique_ptr<ChatTestClient> JoinedClient(const std::string& address,
                                                    const std::string& room,
                                                    const std::string& email,
                                                    chat::v1::ServerEvent* welcome = nullptr,
                                                    uint64_t after_seq = 0) {
  auto client = std::make_unique<ChatTestClient>(OwnChannel(address));
  EXPECT_TRUE(client->Join(room, email, "", after_seq));
  std::optional<chat::v1::ServerEvent> event = client->WaitForWelcome();
  EXPECT_TRUE(event.has_value()) << "no welcome for " << email;
  if (welcome != nullptr && event.has_value()) {
    *welcome = *event;
  }
  return client;
}

// The Post RPC, bounded by a deadline.
inline grpc::Status PostText(chat::v1::ChatService::Stub& stub, const std::string& room,
                             const std::string& email, const std::string& text,
                             chat::v1::PostResponse* response) {
  chat::v1::PostRequest request;
  request.set_room(room);
  request.set_email(email);
  request.set_text(text);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  return stub.Post(&context, request, response);
}

// Runs an in-process roomd on 127.0.0.1:0 and connects clients to it.
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

  std::shared_ptr<grpc::Channel> NewChannel() { return OwnChannel(server_->address()); }

  std::unique_ptr<ChatTestClient> Connect(bool read = true) {
    return std::make_unique<ChatTestClient>(
        read ? NewChannel() : NonReadingChannel(server_->address()), read);
  }

  std::unique_ptr<ChatTestClient> JoinAs(const std::string& room, const std::string& email,
                                         chat::v1::ServerEvent* welcome = nullptr,
                                         uint64_t after_seq = 0) {
    return JoinedClient(server_->address(), room, email, welcome, after_seq);
  }

  // Posts `text`; a failure is recorded unless the status goes to *status_out.
  chat::v1::PostResponse Post(const std::string& room, const std::string& email,
                              const std::string& text, grpc::Status* status_out = nullptr) {
    chat::v1::PostResponse response;
    grpc::Status status = PostText(*stub_, room, email, text, &response);
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
