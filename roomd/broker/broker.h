#pragma once

// Where a room's shared state lives: who assigns message seqs, where history and presence
// are kept, and how events reach the members connected to other roomd nodes.
//
// - MemoryBroker: one process. Each Room is its own authority (seq, history ring, presence)
//   and fans out to its own members at once; this is roomd's original behaviour.
// - RedisBroker: several nodes share rooms through Redis. A Room on a node becomes a replica
//   of the shared room: it sends what its members do through a RoomLink, and applies the
//   sequenced events that come back (for every node's members) in one order.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"

namespace roomd {

class Room;
class RoomRegistry;

// The message every broker failure carries to clients.
inline constexpr char kBrokerUnavailable[] = "message broker unavailable";

// What a post became: a message sequenced now, or (duplicate) the one the same user's
// client_id already got, which nothing posted again.
struct PostResult {
  chat::v1::ChatMessage message;
  bool duplicate = false;
};

// A room's state as the shared broker holds it at one point of the room's event order.
struct RoomSnapshot {
  uint64_t event_order = 0;  // the room's last event (internal order, not a message seq)
  uint64_t last_seq = 0;
  std::vector<chat::v1::ChatMessage> history;  // oldest first
  std::vector<chat::v1::User> online;          // in join order
  std::string epoch;  // names the room's seq numbering (Welcome.epoch)
};

// One room's connection to the shared room. Methods never block: they queue the work for
// the broker's thread. A method that returns an error queued nothing and its callback is
// never called; otherwise the callback runs exactly once, on the broker's thread, never
// inside the call. Lifetime: owned by its Room; the broker outlives every room.
class RoomLink {
 public:
  virtual ~RoomLink() = default;

  // False while the broker is unreachable (sends fail at once).
  virtual bool available() const = 0;

  // Sequences `message` (its seq unset) and delivers it to every node. `done` gets the
  // outcome; on success the message itself comes back through the room's event stream,
  // unless the result is a duplicate (the user's client_id was sequenced already): then
  // nothing was posted and the result holds the original.
  virtual absl::Status PublishMessage(const chat::v1::ChatMessage& message, uint64_t origin_conn,
                                      std::function<void(absl::StatusOr<PostResult>)> done) = 0;

  // This node holds its first connection of `user`: `done` gets the room's event order at
  // which the user is online everywhere.
  virtual absl::Status AddPresence(const chat::v1::User& user, uint64_t origin_conn,
                                   std::function<void(absl::StatusOr<uint64_t>)> done) = 0;

  // This node's last connection of `user` left. Never refused; a failure is repaired when
  // the link is re-established.
  virtual void RemovePresence(const chat::v1::User& user, uint64_t origin_conn) = 0;

  // A TypingNotice (a whole ServerEvent) for the others; best effort.
  virtual void PublishTyping(const chat::v1::ServerEvent& notice, uint64_t origin_conn) = 0;
};

// The server-wide side: room links, and the unary RPCs that need no local room. Callbacks of
// the unary methods run exactly once: inline for the memory broker, on the broker's thread
// for a shared one (inline when its node answers a resend from memory; never under a lock
// of the caller's). Lifetime: owned by the server,
// started before it serves and shut down after every stream and call has ended.
class Broker {
 public:
  using MessageCallback = std::function<void(absl::StatusOr<PostResult>)>;
  using HistoryCallback = std::function<void(absl::StatusOr<chat::v1::GetHistoryResponse>)>;
  using PresenceCallback = std::function<void(absl::StatusOr<std::vector<chat::v1::User>>)>;
  using RoomsCallback = std::function<void(absl::StatusOr<std::vector<chat::v1::RoomInfo>>)>;

  virtual ~Broker() = default;

  // `rooms` is this server's registry (the memory broker answers from it).
  virtual absl::Status Start(RoomRegistry* rooms) = 0;
  // Leaves the shared state cleanly (this node's users go offline) and stops. Idempotent.
  virtual void Shutdown() = 0;

  // Links a room just created on this node to the shared room. nullptr: the room is the
  // only copy and its own authority.
  virtual std::unique_ptr<RoomLink> Link(const std::shared_ptr<Room>& room) = 0;

  // Unary RPCs; arguments are validated by the caller.
  virtual void Post(const std::string& room, const chat::v1::User& from, const std::string& text,
                    const std::string& client_id, MessageCallback done) = 0;
  // Messages after_seq < seq < before_seq (0: no bound); `limit` > 0 (the caller applies
  // the default); with before_seq the newest `limit` of them. Oldest first.
  virtual void History(const std::string& room, uint64_t after_seq, uint64_t before_seq,
                       uint32_t limit, HistoryCallback done) = 0;
  virtual void Presence(const std::string& room, PresenceCallback done) = 0;
  virtual void ListRooms(RoomsCallback done) = 0;

  // Waits until the broker is reachable or `timeout` passes (startup logs and tests; never
  // from a reaction).
  virtual bool WaitUntilAvailable(absl::Duration timeout) = 0;
};

}  // namespace roomd
