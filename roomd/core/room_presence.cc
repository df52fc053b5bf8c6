// Room: presence in small and big rooms, and the paged online list.
//
// A small room sends one Presence per join or leave, and Welcome lists everyone: simple, and
// exact with no further request. In a big room that costs O(N^2) for N joins (each join an
// event to every member, each Welcome a list of everyone), so above
// --presence_coalesce_above connections the changes wait in the coalescer and go out as one
// Presence per --presence_interval, and Welcome lists the first page only.

#include "roomd/core/room.h"

#include <utility>

#include "absl/time/clock.h"
#include "roomd/core/event_codec.h"

namespace roomd {

void Room::PresenceChangedLocked(const UserRef& user, bool joined, grpc::Slice bytes,
                                 uint64_t origin, Notifications* notes) {
  if (BigLocked()) {
    if (joined) {
      coalescer_.Joined(user);
    } else {
      coalescer_.Left(user);
    }
    if (!tick_pending_) {
      tick_pending_ = true;
      std::weak_ptr<Room> weak = weak_from_this();
      timer_->Schedule(absl::Now() + presence_interval_, [weak] {
        if (std::shared_ptr<Room> room = weak.lock()) {
          room->PresenceTick();
        }
      });
    }
    return;
  }
  FlushPresenceLocked(notes);  // what waited comes first: members apply changes in order
  if (bytes.size() == 0) {
    chat::v1::ServerEvent event;
    chat::v1::Presence* presence = event.mutable_presence();
    presence->set_room(name_);
    *(joined ? presence->mutable_joined() : presence->mutable_left()) = *user;
    presence->set_online_count(static_cast<uint32_t>(online_.size()));
    bytes = SerializeToSlice(event);
  }
  AppendBytesLocked(std::move(bytes), origin, /*skip_origin=*/true, notes);
}

void Room::FlushPresenceLocked(Notifications* notes) {
  if (coalescer_.empty()) {
    return;
  }
  chat::v1::ServerEvent event;
  *event.mutable_presence() =
      coalescer_.Take(name_, static_cast<uint32_t>(online_.size()));
  // Everyone, the joiners too: applying their own join again changes nothing.
  AppendLocked(event, /*origin=*/0, /*skip_origin=*/false, notes);
}

void Room::PresenceTick() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  tick_pending_ = false;
  FlushPresenceLocked(&notes);
  MaybeTrimLocked(&notes);
}

absl::StatusOr<chat::v1::GetPresenceResponse> Room::PresencePage(
    uint32_t page_size, const std::string& page_token) const {
  const size_t size = page_size == 0 ? page_size_ : std::min<size_t>(page_size, max_page_size_);
  chat::MutexLock lock(&mu_);
  absl::StatusOr<OnlinePage> page = by_name_.Page(page_token, size);
  if (!page.ok()) {
    return page.status();
  }
  chat::v1::GetPresenceResponse response;
  response.set_room(name_);
  response.set_online_count(static_cast<uint32_t>(online_.size()));
  for (chat::v1::User& user : page->users) {
    *response.add_online() = std::move(user);
  }
  response.set_next_page_token(std::move(page->next_page_token));
  return response;
}

}  // namespace roomd
