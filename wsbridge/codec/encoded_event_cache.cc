#include "wsbridge/codec/encoded_event_cache.h"

#include <utility>

#include "absl/hash/hash.h"

namespace wsbridge {

EncodedEventCache::EncodedEventCache(std::size_t generation_bytes)
    : generation_bytes_(generation_bytes) {}

absl::StatusOr<Frame> EncodedEventCache::GetOrEncode(
    absl::string_view bytes, const std::function<absl::StatusOr<Frame>()>& encode) {
  const std::size_t hash = absl::Hash<absl::string_view>{}(bytes);
  // The high bits pick the shard; the map uses the whole hash again for its own slots.
  Shard& shard = shards_[(hash >> 40) % kShards];
  {
    chat::MutexLock lock(&shard.mu);
    if (auto it = shard.current.find(bytes); it != shard.current.end()) {
      ++shard.hits;
      return it->second;
    }
    if (auto it = shard.previous.find(bytes); it != shard.previous.end()) {
      ++shard.hits;
      Frame frame = it->second;  // still in use: keep it in the newer generation
      shard.previous.erase(it);
      Insert(shard, bytes, frame);
      return frame;
    }
    ++shard.misses;
  }
  // Encoded outside the lock; two streams racing on one new event may both encode it.
  auto frame = encode();
  if (frame.ok()) {
    chat::MutexLock lock(&shard.mu);
    if (!shard.current.contains(bytes)) {
      Insert(shard, bytes, *frame);
    }
  }
  return frame;
}

void EncodedEventCache::Insert(Shard& shard, absl::string_view bytes, const Frame& frame) {
  const std::size_t cost = bytes.size() + frame->size();
  if (shard.current_bytes + cost > generation_bytes_ && !shard.current.empty()) {
    shard.previous = std::move(shard.current);
    shard.current = Map();
    shard.current_bytes = 0;
  }
  shard.current.emplace(std::string(bytes), frame);
  shard.current_bytes += cost;
}

std::size_t EncodedEventCache::hits() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    chat::MutexLock lock(&shard.mu);
    total += shard.hits;
  }
  return total;
}

std::size_t EncodedEventCache::misses() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    chat::MutexLock lock(&shard.mu);
    total += shard.misses;
  }
  return total;
}

}  // namespace wsbridge
