#include "roomd/core/token_bucket.h"

#include <algorithm>

namespace roomd {

TokenBucket::TokenBucket(double rate_per_second, double burst, absl::Time now)
    : rate_per_second_(rate_per_second), burst_(burst), tokens_(burst), last_refill_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_refill_) {
    return;  // a clock that steps back never mints tokens
  }
  const double seconds = absl::ToDoubleSeconds(now - last_refill_);
  tokens_ = std::min(burst_, tokens_ + seconds * rate_per_second_);
  last_refill_ = now;
}

bool TokenBucket::TryTake(absl::Time now) {
  Refill(now);
  if (tokens_ < 1.0) {
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

}  // namespace roomd
