#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "roomd/broker/broker.h"
#include "roomd/core/room.h"
#include "roomd/core/server_options.h"
#include "roomd/core/timer.h"

namespace roomd {

// The server's rooms by name. Rooms are created on first use and kept while empty (for
// their history) until the room limit is reached; then the empty room idle the longest makes
// way. With a shared broker each new room is linked to the shared room before anyone sees
// it. Thread-safe. Lifetime: owned by the server; must outlive every session.
class RoomRegistry {
 public:
  // `broker` may be null (rooms are their own authority, as with the memory broker).
  RoomRegistry(const ServerOptions& options, Timer* timer, Broker* broker = nullptr);
  RoomRegistry(const RoomRegistry&) = delete;
  RoomRegistry& operator=(const RoomRegistry&) = delete;

  // The room `name` (validated by the caller), created if needed. RESOURCE_EXHAUSTED when
  // the room limit is reached and no room is empty.
  absl::StatusOr<std::shared_ptr<Room>> GetOrCreate(absl::string_view name);

  // The room `name`, or null.
  std::shared_ptr<Room> Find(absl::string_view name) const;

  // Every room, sorted by name.
  std::vector<chat::v1::RoomInfo> List() const;

 private:
  // Closes and forgets the empty room idle the longest; false if every room has members.
  bool EvictOneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ServerOptions options_;
  Timer* const timer_;
  Broker* const broker_;
  mutable chat::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Room>> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd
