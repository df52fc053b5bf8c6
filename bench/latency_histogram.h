#pragma once

// Latencies in microseconds, log-linear buckets (about 1.6% relative error above 128 us,
// exact below). One per client; merged at the end. Not thread-safe: one writer at a time.

#include <array>
#include <cstdint>

namespace bench {

class LatencyHistogram {
 public:
  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t max_us() const { return max_us_; }
  // The value at quantile q (0..1) in microseconds; 0 when empty.
  int64_t QuantileUs(double q) const;

 private:
  static constexpr int kLinear = 128;
  static constexpr int kSubBuckets = 64;
  static constexpr int kMaxShift = 36;
  static constexpr int kBuckets = kLinear + kMaxShift * kSubBuckets;

  static int BucketOf(uint64_t us);
  static int64_t ValueOf(int bucket);

  std::array<uint32_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  int64_t max_us_ = 0;
};

}  // namespace bench
