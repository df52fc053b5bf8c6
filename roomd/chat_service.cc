#include "roomd/chat_service.h"

#include <memory>

#include "roomd/chat_session.h"
#include "roomd/identity.h"
#include "roomd/logger.h"
#include "roomd/room.h"
#include "roomd/status_convert.h"
#include "roomd/subscriber.h"
#include "roomd/validation.h"

namespace roomd {
namespace {

constexpr int kPostAttempts = 3;

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

ChatService::ChatService(const ServerOptions& options, RoomRegistry* rooms,
                         SessionTracker* sessions)
    : options_(options), rooms_(rooms), sessions_(sessions) {}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChatService::Chat(
    grpc::CallbackServerContext* context) {
  return new ChatSession(context, options_, rooms_, sessions_);
}

grpc::ServerUnaryReactor* ChatService::Post(grpc::CallbackServerContext* context,
                                            const chat::v1::PostRequest* request,
                                            chat::v1::PostResponse* response) {
  absl::Status status = DoPost(*request, response);
  if (!status.ok()) {
    Log("error post peer=%s room=%s: %s", context->peer(), request->room(), status.ToString());
  }
  return FinishUnary(context, status);
}

absl::Status ChatService::DoPost(const chat::v1::PostRequest& request,
                                 chat::v1::PostResponse* response) {
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
  absl::Status status;
  for (int attempt = 0; attempt < kPostAttempts; ++attempt) {
    absl::StatusOr<std::shared_ptr<Room>> room = rooms_->GetOrCreate(request.room());
    if (!room.ok()) {
      return room.status();
    }
    Notifications notes;
    absl::StatusOr<chat::v1::ChatMessage> message =
        (*room)->Post(*user, request.text(), request.client_id(), /*origin_conn=*/0, &notes);
    if (message.ok()) {
      *response->mutable_message() = *std::move(message);
      return absl::OkStatus();
    }
    status = message.status();
    if (!absl::IsAborted(status)) {
      return status;
    }
  }
  return absl::UnavailableError("the room was being recycled; post again");
}

grpc::ServerUnaryReactor* ChatService::ListRooms(grpc::CallbackServerContext* context,
                                                 const chat::v1::ListRoomsRequest* /*request*/,
                                                 chat::v1::ListRoomsResponse* response) {
  for (chat::v1::RoomInfo& info : rooms_->List()) {
    *response->add_rooms() = std::move(info);
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ChatService::GetPresence(grpc::CallbackServerContext* context,
                                                   const chat::v1::GetPresenceRequest* request,
                                                   chat::v1::GetPresenceResponse* response) {
  if (absl::Status status = ValidateRoomName(request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  response->set_room(request->room());
  // A room that does not exist has nobody online.
  if (std::shared_ptr<Room> room = rooms_->Find(request->room())) {
    for (chat::v1::User& user : room->Online()) {
      *response->add_online() = std::move(user);
    }
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ChatService::GetHistory(grpc::CallbackServerContext* context,
                                                  const chat::v1::GetHistoryRequest* request,
                                                  chat::v1::GetHistoryResponse* response) {
  if (absl::Status status = ValidateRoomName(request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  if (std::shared_ptr<Room> room = rooms_->Find(request->room())) {
    *response = room->History(request->after_seq(), request->limit());
  } else {
    response->set_room(request->room());  // no room yet: no history
  }
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace roomd
