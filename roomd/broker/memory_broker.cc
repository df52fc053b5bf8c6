#include "roomd/broker/memory_broker.h"

#include <utility>

#include "roomd/core/room.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/roomd_metrics.h"
#include "roomd/core/subscriber.h"

namespace roomd {
namespace {

// A room can be recycled (closed while empty) between lookup and post; look it up again.
constexpr int kPostAttempts = 3;

}  // namespace

absl::Status MemoryBroker::Start(RoomRegistry* rooms) {
  RoomdMetrics::Get().broker_up->Set(1);  // one process: always reachable
  rooms_ = rooms;
  return absl::OkStatus();
}

void MemoryBroker::Post(const std::string& room_name, const chat::v1::User& from,
                        const std::string& text, const std::string& client_id,
                        MessageCallback done) {
  for (int attempt = 0; attempt < kPostAttempts; ++attempt) {
    absl::StatusOr<std::shared_ptr<Room>> room = rooms_->GetOrCreate(room_name);
    if (!room.ok()) {
      done(room.status());
      return;
    }
    absl::StatusOr<chat::v1::ChatMessage> message;
    bool duplicate = false;
    // With a store the answer waits for the commit: an acknowledged seq is a kept message.
    auto committed = std::make_shared<MessageCallback>(std::move(done));
    {
      Notifications notes;
      message = (*room)->Post(from, text, client_id, /*origin_conn=*/0, &notes, &duplicate,
                              [committed](absl::StatusOr<chat::v1::ChatMessage> result) {
                                if (result.ok()) {
                                  (*committed)(PostResult{*std::move(result), false});
                                } else {
                                  (*committed)(result.status());
                                }
                              });
    }
    if (message.ok() && message->seq() == 0) {
      return;  // `committed` answers
    }
    done = std::move(*committed);
    if (message.ok()) {
      done(PostResult{*std::move(message), duplicate});
      return;
    }
    if (!absl::IsAborted(message.status())) {
      done(message.status());
      return;
    }
  }
  done(absl::UnavailableError("the room was being recycled; post again"));
}

void MemoryBroker::History(const std::string& room_name, uint64_t after_seq,
                           uint64_t before_seq, uint32_t limit, HistoryCallback done) {
  if (store_ != nullptr) {
    done(store_->History(room_name, after_seq, before_seq, limit));
    return;
  }
  chat::v1::GetHistoryResponse response;
  if (std::shared_ptr<Room> room = rooms_->Find(room_name)) {
    response = room->History(after_seq, limit, before_seq);
  } else {
    response.set_room(room_name);  // no room yet: no history
  }
  done(std::move(response));
}

void MemoryBroker::Presence(const std::string& room_name, PresenceCallback done) {
  // A room that does not exist has nobody online.
  std::shared_ptr<Room> room = rooms_->Find(room_name);
  done(room == nullptr ? std::vector<chat::v1::User>() : room->Online());
}

void MemoryBroker::ListRooms(RoomsCallback done) { done(rooms_->List()); }

}  // namespace roomd
