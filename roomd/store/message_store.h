#pragma once

// Where messages are kept once sequenced: the room's history at any depth, its last seq,
// and the lookup an idempotent resend needs. `--store=memory` has no MessageStore (each
// Room's ring is the history, lost on restart); `--store=sqlite:PATH` is SqliteStore.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "chat/v1/chat.pb.h"

namespace roomd {

// The message every send refused because the disk (or --store_max_pages) is full carries.
inline constexpr char kStoreFull[] = "history store full";

// A room as the store knows it when the room is (re)created in memory.
struct StoredRoom {
  std::string epoch;                           // the numbering's name, kept with it
  uint64_t last_seq = 0;                       // 0: no message ever
  std::vector<chat::v1::ChatMessage> recent;  // the latest messages, oldest first
};

// Thread-safe. Lifetime: owned by the server, outlives every room; Shutdown (after every
// stream ended) commits what is queued and stops the writer.
class MessageStore {
 public:
  using AppendCallback = std::function<void(absl::Status)>;

  virtual ~MessageStore() = default;

  // Queues a sequenced message for the next group commit. `done` runs exactly once, on the
  // store's writer thread, after the transaction holding the message committed (OK) or
  // failed (UNAVAILABLE, e.g. kStoreFull). Callbacks run in the order of the Append calls.
  // An error return queued nothing (the store is failing, or shut down): `done` never runs.
  virtual absl::Status Append(const chat::v1::ChatMessage& message, AppendCallback done) = 0;

  // The room's last seq and its latest `recent` messages (a room with no row: zeros).
  virtual absl::StatusOr<StoredRoom> LoadRoom(const std::string& room, size_t recent) = 0;

  // Committed messages with after_seq < seq < before_seq (before_seq 0: no bound), the
  // newest `limit` of them when before_seq is set, else the oldest `limit`; oldest first.
  // last_seq is the room's latest committed seq.
  virtual absl::StatusOr<chat::v1::GetHistoryResponse> History(const std::string& room,
                                                               uint64_t after_seq,
                                                               uint64_t before_seq,
                                                               uint32_t limit) = 0;

  // Every room that ever had a message, sorted by name (online_count 0).
  virtual absl::StatusOr<std::vector<chat::v1::RoomInfo>> ListRooms() = 0;

  // The committed message `user_id` sent to `room` with `client_id` (non-empty), if any: an
  // idempotent resend answers with it instead of sending the text again.
  virtual absl::StatusOr<std::optional<chat::v1::ChatMessage>> FindByClientId(
      const std::string& room, const std::string& user_id, const std::string& client_id) = 0;

  // Commits what is queued, then refuses new appends. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace roomd
