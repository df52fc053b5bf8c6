#pragma once

// Which Send.client_ids a room already sequenced, per user: a resent message (a client that
// lost its connection right after a send and sends again) gets its original echo instead
// of being posted twice. An interface so that a persistent store can keep it later; the
// shared broker keeps its own in Redis (redis_scripts.h), beside the room's seq, and each
// node's replica of a shared room keeps one in memory as well (in case Redis loses it).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace roomd {

// How long sends are remembered, per user and room (docs/protocol.md promises the defaults):
// a send stays while it is among its user's last `keep_sends` or younger than `keep_for`
// (whichever lasts longer), and never beyond `max_sends`, which only a sender faster than
// the rate limit could reach. The Redis ledger follows the same rule.
struct SentLedgerLimits {
  size_t keep_sends = 1000;
  absl::Duration keep_for = absl::Minutes(10);
  size_t max_sends = 20000;
};

class SentLedger {
 public:
  struct Entry {
    uint64_t seq = 0;
    absl::Time sent_at;
  };

  virtual ~SentLedger() = default;
  // The message `user_id` sent with `client_id` (not empty), if it is remembered.
  virtual std::optional<Entry> Find(const std::string& user_id,
                                    const std::string& client_id) const = 0;
  // `user_id`'s message `client_id` (not empty) was sequenced as `entry`.
  virtual void Record(const std::string& user_id, const std::string& client_id,
                      const Entry& entry) = 0;
  // The room's seq numbering restarted: the seqs remembered mean nothing any more.
  virtual void Clear() = 0;
};

// In memory, for one room, within `limits`. Not thread-safe: the room's lock guards it.
class MemorySentLedger final : public SentLedger {
 public:
  explicit MemorySentLedger(const SentLedgerLimits& limits = {})
      : keep_sends_(limits.keep_sends), keep_for_(limits.keep_for), max_sends_(limits.max_sends) {}

  std::optional<Entry> Find(const std::string& user_id,
                            const std::string& client_id) const override;
  void Record(const std::string& user_id, const std::string& client_id,
              const Entry& entry) override;
  void Clear() override { users_.clear(); }

  size_t SizeForTest(const std::string& user_id) const;

 private:
  struct UserSends {
    std::deque<std::pair<std::string, absl::Time>> order;  // oldest first
    absl::flat_hash_map<std::string, Entry> by_client_id;
  };

  const size_t keep_sends_;
  const absl::Duration keep_for_;
  const size_t max_sends_;
  absl::flat_hash_map<std::string, UserSends> users_;
};

}  // namespace roomd
