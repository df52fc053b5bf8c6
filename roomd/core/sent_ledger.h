#pragma once

// Which Send.client_ids a room already sequenced, per user: a resent message (a client that
// lost its connection right after a send and sends again) gets its original echo instead
// of being posted twice. An interface so that a persistent store can keep it later; the
// shared broker keeps its own in Redis (redis_scripts.h), beside the room's seq.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace roomd {

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

// In memory, for one room. A send is remembered while it is among its user's last
// `keep_sends` or younger than `keep_for` (whichever lasts longer), and never beyond
// `max_sends` per user, which only a sender faster than the rate limit could reach.
// Not thread-safe: the room's lock guards it.
class MemorySentLedger final : public SentLedger {
 public:
  static constexpr size_t kKeepSends = 1000;
  static constexpr absl::Duration kKeepFor = absl::Minutes(10);
  static constexpr size_t kMaxSends = 20000;

  explicit MemorySentLedger(size_t keep_sends = kKeepSends, absl::Duration keep_for = kKeepFor,
                            size_t max_sends = kMaxSends)
      : keep_sends_(keep_sends), keep_for_(keep_for), max_sends_(max_sends) {}

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
