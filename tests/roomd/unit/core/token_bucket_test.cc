#include "roomd/core/token_bucket.h"

#include <gtest/gtest.h>

namespace roomd {
namespace {

const absl::Time kBucketStart = absl::FromUnixSeconds(1000);

TEST(TokenBucketTest, AllowsTheBurstThenRefusesUntilRefilled) {
  TokenBucket bucket(/*rate_per_second=*/20, /*burst=*/40, kBucketStart);
  for (int i = 0; i < 40; ++i) {
    EXPECT_TRUE(bucket.TryTake(kBucketStart)) << i;
  }
  EXPECT_FALSE(bucket.TryTake(kBucketStart));
  // 20/s: one token every 50 ms.
  EXPECT_FALSE(bucket.TryTake(kBucketStart + absl::Milliseconds(49)));
  EXPECT_TRUE(bucket.TryTake(kBucketStart + absl::Milliseconds(50)));
  EXPECT_FALSE(bucket.TryTake(kBucketStart + absl::Milliseconds(50)));
}

TEST(TokenBucketTest, RefillIsCappedAtTheBurst) {
  TokenBucket bucket(10, 3, kBucketStart);
  const absl::Time later = kBucketStart + absl::Hours(1);
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_FALSE(bucket.TryTake(later));
}

TEST(TokenBucketTest, SustainedRateMatchesTheRefill) {
  TokenBucket bucket(20, 1, kBucketStart);
  int taken = 0;
  for (int ms = 0; ms < 10000; ms += 10) {  // 10 s of attempts every 10 ms
    taken += bucket.TryTake(kBucketStart + absl::Milliseconds(ms)) ? 1 : 0;
  }
  EXPECT_GE(taken, 199);
  EXPECT_LE(taken, 201);
}

TEST(TokenBucketTest, ClockSteppingBackMintsNothing) {
  TokenBucket bucket(1, 1, kBucketStart);
  EXPECT_TRUE(bucket.TryTake(kBucketStart));
  EXPECT_FALSE(bucket.TryTake(kBucketStart - absl::Hours(1)));
  EXPECT_FALSE(bucket.TryTake(kBucketStart + absl::Milliseconds(500)));
  EXPECT_TRUE(bucket.TryTake(kBucketStart + absl::Seconds(1)));
}

}  // namespace
}  // namespace roomd
