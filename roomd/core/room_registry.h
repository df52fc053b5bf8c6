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
#include "roomd/store/message_store.h"

namespace roomd {

// The server's rooms by name. Rooms are created on first use and kept while empty (for
// their history) until the room limit is reached; then the empty room idle the longest makes
// way. With a shared broker each new room is linked to the shared room before anyone sees
// it. With a message store a new room starts from what the store holds (its seq and latest
// messages), and the list includes every stored room, online or not. Thread-safe. Lifetime: owned by the server; must outlive every session.
class RoomRegistry {
 public:
  // `broker` may be null (rooms are their own authority, as with the memory broker); so
  // may `store` (no durable history).
  RoomRegistry(const ServerOptions& options, Timer* timer, Broker* broker = nullptr,
               MessageStore* store = nullptr);
  RoomRegistry(const RoomRegistry&) = delete;
  RoomRegistry& operator=(const RoomRegistry&) = delete;

  // The room `name` (validated by the caller), created if needed. RESOURCE_EXHAUSTED when
  // the room limit is reached and no room is empty; UNAVAILABLE when the store cannot be read.
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
  MessageStore* const store_;
  mutable chat::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Room>> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd
