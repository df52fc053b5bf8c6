#pragma once

// A per-process cache from a broadcast event's protobuf bytes to its JSON frame, so each
// distinct broadcast is JSON-encoded once per bridge, not once per browser.
// Thread-safe: sharded by hash, one short lock per lookup. Bounded: each shard keeps two
// generations and drops the older one when the newer fills (an approximate LRU that costs
// no list upkeep per hit).

#include <array>
#include <cstddef>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"
#include "wsbridge/codec/json_codec.h"

namespace wsbridge {

class EncodedEventCache {
 public:
  // Each shard's newer generation holds at most this many bytes of keys and frames.
  explicit EncodedEventCache(std::size_t generation_bytes = 64 * 1024);

  // The frame for `bytes`, from the cache or from `encode` (called without any lock held;
  // failures are returned and not cached).
  absl::StatusOr<Frame> GetOrEncode(absl::string_view bytes,
                                    const std::function<absl::StatusOr<Frame>()>& encode);

  std::size_t hits() const;
  std::size_t misses() const;

 private:
  static constexpr std::size_t kShards = 16;
  using Map = absl::flat_hash_map<std::string, Frame>;

  struct Shard {
    mutable chat::Mutex mu;
    Map current ABSL_GUARDED_BY(mu);
    Map previous ABSL_GUARDED_BY(mu);
    std::size_t current_bytes ABSL_GUARDED_BY(mu) = 0;
    std::size_t hits ABSL_GUARDED_BY(mu) = 0;
    std::size_t misses ABSL_GUARDED_BY(mu) = 0;
  };

  void Insert(Shard& shard, absl::string_view bytes, const Frame& frame)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const std::size_t generation_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace wsbridge
