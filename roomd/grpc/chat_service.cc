#include "roomd/grpc/chat_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "roomd/core/identity.h"
#include "roomd/grpc/call_credentials.h"
#include "roomd/core/logger.h"
#include "roomd/core/online_index.h"
#include "roomd/core/roomd_metrics.h"
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
                         SessionTracker* sessions, Broker* broker, Timer* timer,
                         const auth::Authenticator* auth)
    : options_(options),
      rooms_(rooms),
      sessions_(sessions),
      broker_(broker),
      timer_(timer),
      auth_(auth) {}

absl::StatusOr<std::optional<auth::Claims>> ChatService::CallClaims(
    const grpc::CallbackServerContext& context) const {
  if (!auth_->jwt()) {
    return std::nullopt;
  }
  absl::StatusOr<auth::Claims> claims = auth_->Verify(BearerToken(context));
  if (!claims.ok()) {
    return claims.status();
  }
  return *std::move(claims);
}

absl::Status ChatService::AuthorizeRoom(const grpc::CallbackServerContext& context,
                                        absl::string_view room) const {
  absl::StatusOr<std::optional<auth::Claims>> claims = CallClaims(context);
  if (!claims.ok()) {
    return claims.status();
  }
  return claims->has_value() ? auth::CheckRoom(**claims, room) : absl::OkStatus();
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChatService::Chat(
    grpc::CallbackServerContext* context) {
  AcquirePublished();
  return new ChatStream(context, options_, rooms_, sessions_, timer_, auth_);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChatService::Relay(
    grpc::CallbackServerContext* context) {
  AcquirePublished();
  return new RelayStream(context, options_, rooms_, sessions_, timer_, &relays_, auth_);
}

grpc::ServerUnaryReactor* ChatService::Post(grpc::CallbackServerContext* context,
                                            const chat::v1::PostRequest* request,
                                            chat::v1::PostResponse* response) {
  AcquirePublished();
  absl::StatusOr<std::optional<auth::Claims>> claims = CallClaims(*context);
  absl::StatusOr<chat::v1::User> user =
      claims.ok() ? ValidatePost(*request, *claims) : claims.status();
  if (!user.ok()) {
    // A refused Post is a rejected message, as a refused Send is (chat_session.cc).
    RoomdMetrics::Get().MessageRejected(user.status());
    Log("error post peer=%s room=%s: %s", context->peer(), request->room(),
        user.status().ToString());
    return FinishUnary(context, user.status());
  }
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->Post(request->room(), *user, request->text(), request->client_id(),
                [call, response, peer = context->peer(), room = request->room()](
                    absl::StatusOr<PostResult> posted) {
                  if (!posted.ok()) {
                    RoomdMetrics::Get().MessageRejected(posted.status());
                    Log("error post peer=%s room=%s: %s", peer, room,
                        posted.status().ToString());
                    call->Done(ToGrpcStatus(posted.status()));
                    return;
                  }
                  *response->mutable_message() = std::move(posted->message);
                  response->set_duplicate(posted->duplicate);
                  call->Done(grpc::Status::OK);
                });
  return call->Reactor();
}

absl::StatusOr<chat::v1::User> ChatService::ValidatePost(
    const chat::v1::PostRequest& request, const std::optional<auth::Claims>& claims) const {
  if (absl::Status status = ValidateRoomName(request.room()); !status.ok()) {
    return status;
  }
  if (claims.has_value()) {
    if (absl::Status status = auth::CheckRoom(*claims, request.room()); !status.ok()) {
      return status;
    }
  }
  // A token proves who posts; without one the request's email says it.
  absl::StatusOr<chat::v1::User> user = claims.has_value()
                                            ? auth::UserFromClaims(*claims)
                                            : MakeUser(request.email(), request.name());
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
  absl::StatusOr<std::optional<auth::Claims>> claims = CallClaims(*context);
  if (!claims.ok()) {
    return FinishUnary(context, claims.status());
  }
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->ListRooms(
      [call, response, claims = *std::move(claims)](
          absl::StatusOr<std::vector<chat::v1::RoomInfo>> rooms) {
        if (rooms.ok()) {
          for (chat::v1::RoomInfo& info : *rooms) {
            // Only the rooms the caller may join.
            if (!claims.has_value() || auth::MayEnter(*claims, info.name())) {
              *response->add_rooms() = std::move(info);
            }
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
  if (absl::Status status = AuthorizeRoom(*context, request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  response->set_room(request->room());
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  const bool paged = request->page_size() != 0 || !request->page_token().empty();
  const size_t page_size =
      request->page_size() == 0
          ? options_.presence_page_size
          : std::min<size_t>(request->page_size(), options_.presence_max_page_size);
  broker_->Presence(
      request->room(), [call, response, paged, page_size, token = request->page_token()](
                           absl::StatusOr<std::vector<chat::v1::User>> online) {
        if (!online.ok()) {
          call->Done(ToGrpcStatus(online.status()));
          return;
        }
        response->set_online_count(static_cast<uint32_t>(online->size()));
        if (!paged) {
          for (chat::v1::User& user : *online) {
            *response->add_online() = std::move(user);
          }
          call->Done(grpc::Status::OK);
          return;
        }
        absl::StatusOr<OnlinePage> page = PageOfUsers(*online, token, std::max<size_t>(page_size, 1));
        if (page.ok()) {
          for (chat::v1::User& user : page->users) {
            *response->add_online() = std::move(user);
          }
          response->set_next_page_token(std::move(page->next_page_token));
        }
        call->Done(ToGrpcStatus(page.status()));
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
  if (absl::Status status = AuthorizeRoom(*context, request->room()); !status.ok()) {
    return FinishUnary(context, status);
  }
  if (absl::Status status =
          ValidateHistoryPage(request->after_seq(), request->before_seq(), request->limit());
      !status.ok()) {
    return FinishUnary(context, status);
  }
  // 0: what the ring holds (the store pages by the same size).
  const uint32_t limit = request->limit() != 0 ? request->limit()
                                               : static_cast<uint32_t>(std::min<size_t>(
                                                     options_.history_size, kMaxHistoryLimit));
  std::shared_ptr<UnaryCall> call = UnaryCall::Create(context);
  broker_->History(request->room(), request->after_seq(), request->before_seq(), limit,
                   [call, response](absl::StatusOr<chat::v1::GetHistoryResponse> history) {
                     if (history.ok()) {
                       *response = *std::move(history);
                     }
                     call->Done(ToGrpcStatus(history.status()));
                   });
  return call->Reactor();
}

}  // namespace roomd
