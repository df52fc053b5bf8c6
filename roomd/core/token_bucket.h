#pragma once

// A token bucket rate limiter. Not thread-safe: its owner serializes calls. Time is passed
// in, so tests drive it with a fake clock.

#include "absl/time/time.h"

namespace roomd {

class TokenBucket {
 public:
  // Refills `rate_per_second` tokens per second up to `burst`; starts full.
  TokenBucket(double rate_per_second, double burst, absl::Time now);

  // Takes one token if there is one at `now`.
  bool TryTake(absl::Time now);

 private:
  void Refill(absl::Time now);

  const double rate_per_second_;
  const double burst_;
  double tokens_;
  absl::Time last_refill_;
};

}  // namespace roomd
