#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

int LatencyHistogram::BucketOf(uint64_t us) {
  if (us < kLinear) {
    return static_cast<int>(us);
  }
  const int msb = 63 - std::countl_zero(us);  // >= 7
  const int shift = std::min(msb - 6, kMaxShift);
  const uint64_t sub = std::min<uint64_t>(us >> shift, 2 * kSubBuckets - 1);  // [64, 128)
  return kLinear + (shift - 1) * kSubBuckets + static_cast<int>(sub - kSubBuckets);
}

int64_t LatencyHistogram::ValueOf(int bucket) {
  if (bucket < kLinear) {
    return bucket;
  }
  const int shift = (bucket - kLinear) / kSubBuckets + 1;
  const int64_t sub = (bucket - kLinear) % kSubBuckets + kSubBuckets;
  return (sub << shift) + ((int64_t{1} << shift) / 2);  // the middle of the bucket
}

void LatencyHistogram::Record(int64_t nanos) {
  const uint64_t us = nanos <= 0 ? 0 : static_cast<uint64_t>(nanos / 1000);
  ++buckets_[BucketOf(us)];
  ++count_;
  max_us_ = std::max<int64_t>(max_us_, static_cast<int64_t>(us));
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) {
    buckets_[i] += other.buckets_[i];
  }
  count_ += other.count_;
  max_us_ = std::max(max_us_, other.max_us_);
}

int64_t LatencyHistogram::QuantileUs(double q) const {
  if (count_ == 0) {
    return 0;
  }
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::min(ValueOf(i), max_us_);
    }
  }
  return max_us_;
}

}  // namespace bench
