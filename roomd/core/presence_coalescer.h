#pragma once

// A big room's presence changes between two ticks, so that a join storm costs each member
// one Presence per tick instead of one per join. Each user counts once, with their last
// change: a member applying the lists as "online" / "not online" ends exact whatever it
// already knew (its Welcome or page may have seen part of the tick). The lists are bounded;
// past the bound the event says `truncated` and carries the exact count only.
// Not thread-safe: the room's lock guards it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "chat/v1/chat.pb.h"
#include "roomd/core/user_ref.h"

namespace roomd {

class PresenceCoalescer {
 public:
  // `max_users`: most users one event lists (joined and left together).
  explicit PresenceCoalescer(size_t max_users) : max_users_(max_users) {}

  void Joined(const UserRef& user) { Record(user, /*joined=*/true); }
  void Left(const UserRef& user) { Record(user, /*joined=*/false); }
  bool empty() const { return changes_.empty(); }

  // The tick's Presence (users in the order of their first change this tick); the
  // coalescer is empty again.
  chat::v1::Presence Take(const std::string& room, uint32_t online_count);

 private:
  struct Change {
    UserRef user;
    bool joined = false;
    uint64_t order = 0;
  };
  void Record(const UserRef& user, bool joined);

  const size_t max_users_;
  absl::flat_hash_map<std::string, Change> changes_;
  uint64_t next_order_ = 0;
};

}  // namespace roomd
