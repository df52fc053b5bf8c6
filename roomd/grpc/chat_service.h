#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "absl/status/status.h"
#include "chat/v1/chat.grpc.pb.h"
#include "roomd/auth/authenticator.h"
#include "roomd/broker/broker.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/server_options.h"
#include "roomd/core/timer.h"
#include "roomd/grpc/relay_stream.h"
#include "roomd/grpc/session_tracker.h"

namespace roomd {

// chat.v1.ChatService on the callback API. Chat and Relay are raw (ByteBuffer) bidi methods
// so each session parses ClientEvents itself and writes pre-serialized events; the unary methods
// use the generated messages and are answered by the broker (inline for the memory broker;
// later, on the broker's thread, for a shared one). With --auth=jwt every unary call needs
// `authorization: Bearer <jwt>`, and touches only the rooms its token allows. Lifetime: owned by the server,
// destroyed after it.
class ChatService final
    : public chat::v1::ChatService::WithRawCallbackMethod_Chat<
          chat::v1::ChatService::WithCallbackMethod_Post<
              chat::v1::ChatService::WithCallbackMethod_ListRooms<
                  chat::v1::ChatService::WithCallbackMethod_GetPresence<
                      chat::v1::ChatService::WithCallbackMethod_GetHistory<
                          chat::v1::ChatService::WithRawCallbackMethod_Relay<
                              chat::v1::ChatService::Service>>>>>> {
 public:
  ChatService(const ServerOptions& options, RoomRegistry* rooms, SessionTracker* sessions,
              Broker* broker, Timer* timer, const auth::Authenticator* auth);

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Chat(
      grpc::CallbackServerContext* context) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Relay(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Post(grpc::CallbackServerContext* context,
                                 const chat::v1::PostRequest* request,
                                 chat::v1::PostResponse* response) override;
  grpc::ServerUnaryReactor* ListRooms(grpc::CallbackServerContext* context,
                                      const chat::v1::ListRoomsRequest* request,
                                      chat::v1::ListRoomsResponse* response) override;
  grpc::ServerUnaryReactor* GetPresence(grpc::CallbackServerContext* context,
                                        const chat::v1::GetPresenceRequest* request,
                                        chat::v1::GetPresenceResponse* response) override;
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* context,
                                       const chat::v1::GetHistoryRequest* request,
                                       chat::v1::GetHistoryResponse* response) override;

  // Server shutdown, after every session was told: relays end once their sessions have.
  void ShutdownRelays() { relays_.ShutdownAll(); }
  size_t relay_count() const { return relays_.size(); }

  // Called once everything behind the service is built, before the server starts.
  void Publish() { published_.store(true, std::memory_order_release); }

 private:
  // gRPC hands calls to its threads through synchronization inside libgrpc, which
  // ThreadSanitizer cannot see (Debian's gRPC is not instrumented); threads gRPC started for
  // an earlier server in the same process would look unordered with this one's
  // construction. This acquire (start of each method) pairs with Publish's release; it
  // costs one uncontended atomic load per call.
  void AcquirePublished() const { published_.load(std::memory_order_acquire); }

  // Post validates exactly like a stream's send; the broker then delivers to the room
  // (created if needed), so the message lands in history and reaches every member.
  absl::StatusOr<chat::v1::User> ValidatePost(const chat::v1::PostRequest& request,
                                              const std::optional<auth::Claims>& claims) const;

  // --auth=jwt: the claims of the call's bearer token (UNAUTHENTICATED with the reason);
  // nullopt in open mode, where calls need none.
  absl::StatusOr<std::optional<auth::Claims>> CallClaims(
      const grpc::CallbackServerContext& context) const;
  // CallClaims, then the room (PERMISSION_DENIED outside the token's rooms).
  absl::Status AuthorizeRoom(const grpc::CallbackServerContext& context,
                             absl::string_view room) const;

  const ServerOptions& options_;
  RoomRegistry* const rooms_;
  SessionTracker* const sessions_;
  Broker* const broker_;
  Timer* const timer_;
  const auth::Authenticator* const auth_;
  RelayRegistry relays_;
  std::atomic<bool> published_{false};
};

}  // namespace roomd
