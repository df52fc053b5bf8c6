#include "roomd/grpc/chat_service.h"

#include <memory>
#include <string>
#include <utility>

#include "roomd/core/identity.h"
#include "roomd/core/logger.h"
#include "roomd/core/validation.h"
#include "roomd/grpc/chat_stream.h"
#include "roomd/grpc/relay_stream.h"
#include "roomd/grpc/status_convert.h"
#include "roomd/grpc/unary_call.h"

namespace roomd {
namespace {

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

ChatService::ChatService(const ServerOptions& options, RoomRegistry* rooms,
                         SessionTracker* sessions, Broker* broker, Timer* timer)
    : options_(options), rooms_(rooms), sessions_(sessions), broker_(broker), timer_(timer) {}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChatService::Chat(
    grpc::CallbackServerContext* context) {
  AcquirePublished();
  return new ChatStream(context, options_, rooms_, sessions_, timer_);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChatService::Relay(
    grpc::CallbackServerContext* context) {
  AcquirePublished();
  return new RelayStream(context, options_, rooms_, sessions_, timer_, &relays_);
}

grpc::ServerUnaryReactor* ChatService::Post(grpc::CallbackServerContext* context,
                                            const chat::v1::PostRequest* request,
                                            chat::v1::PostResponse* response) {
  AcquirePublished();
  absl::StatusOr<chat::v1::User> user = ValidatePost(*request);
  if (!user.ok()) {
    Log("error post peer=%s room=%s: %s", context->peer(), request->room(),
        user.status().ToString());
    return FinishUnary(context, user.status());
  }
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->Post(request->room(), *user, request->text(), request->client_id(),
                [call, response, peer = context->peer(), room = request->room()](
                    absl::StatusOr<chat::v1::ChatMessage> message) {
                  if (!message.ok()) {
                    Log("error post peer=%s room=%s: %s", peer, room,
                        message.status().ToString());
                    call->Done(ToGrpcStatus(message.status()));
                    return;
                  }
                  *response->mutable_message() = *std::move(message);
                  call->Done(grpc::Status::OK);
                });
  return call->Reactor();
}

absl::StatusOr<chat::v1::User> ChatService::ValidatePost(
    const chat::v1::PostRequest& request) const {
  if (absl::Status status = ValidateRoomName(request.room()); !status.ok()) {
    return status;
  }
  absl::StatusOr<chat::v1::User> user = MakeUser(request.email(), request.name());
  if (!user.ok()) {
    return user.status();
  }
  if (absl::Status status = ValidateClientId(request.client_id(), options_.max_client_id_bytes);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateMessageText(request.text(), options_.max_text_bytes);
      !status.ok()) {
    return status;
  }
  return user;
}

grpc::ServerUnaryReactor* ChatService::ListRooms(grpc::CallbackServerContext* context,
                                                 const chat::v1::ListRoomsRequest* /*request*/,
                                                 chat::v1::ListRoomsResponse* response) {
  AcquirePublished();
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->ListRooms(
      [call, response](absl::StatusOr<std::vector<chat::v1::RoomInfo>> rooms) {
        if (rooms.ok()) {
          for (chat::v1::RoomInfo& info : *rooms) {
            *response->add_rooms() = std::move(info);
          }
        }
        call->Done(ToGrpcStatus(rooms.status()));
      });
  return call->Reactor();
}

grpc::ServerUnaryReactor* ChatService::GetPresence(grpc::CallbackServerContext* context,
                                                   const chat::v1::GetPresenceRequest* request,
                                                   chat::v1::GetPresenceResponse* response) {
  AcquirePublished();
  if (absl::Status status = ValidateRoomName(request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  response->set_room(request->room());
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->Presence(request->room(),
                    [call, response](absl::StatusOr<std::vector<chat::v1::User>> online) {
                      if (online.ok()) {
                        for (chat::v1::User& user : *online) {
                          *response->add_online() = std::move(user);
                        }
                      }
                      call->Done(ToGrpcStatus(online.status()));
                    });
  return call->Reactor();
}

grpc::ServerUnaryReactor* ChatService::GetHistory(grpc::CallbackServerContext* context,
                                                  const chat::v1::GetHistoryRequest* request,
                                                  chat::v1::GetHistoryResponse* response) {
  AcquirePublished();
  if (absl::Status status = ValidateRoomName(request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->History(request->room(), request->after_seq(), request->limit(),
                   [call, response](absl::StatusOr<chat::v1::GetHistoryResponse> history) {
                     if (history.ok()) {
                       *response = *std::move(history);
                     }
                     call->Done(ToGrpcStatus(history.status()));
                   });
  return call->Reactor();
}

}  // namespace roomd
