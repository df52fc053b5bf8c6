#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(LatencyHistogramTest, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.QuantileUs(0.5), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int us = 1; us <= 100; ++us) {
    h.Record(int64_t{us} * 1000);
  }
  EXPECT_EQ(h.QuantileUs(0.50), 50);
  EXPECT_EQ(h.QuantileUs(0.99), 99);
  EXPECT_EQ(h.max_us(), 100);
}

TEST(LatencyHistogramTest, LargeValuesWithinTwoPercent) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) {
    h.Record(int64_t{i} * 1'000'000);  // 1 ms .. 1 s
  }
  EXPECT_NEAR(static_cast<double>(h.QuantileUs(0.5)), 500'000, 500'000 * 0.02);
  EXPECT_NEAR(static_cast<double>(h.QuantileUs(0.99)), 990'000, 990'000 * 0.02);
  EXPECT_EQ(h.max_us(), 1'000'000);
  EXPECT_LE(h.QuantileUs(1.0), h.max_us());
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(1000);
  b.Record(3'000'000);
  b.Record(3'000'000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.QuantileUs(0.1), 1);
  EXPECT_NEAR(static_cast<double>(a.QuantileUs(0.9)), 3000, 60);
}

TEST(LatencyHistogramTest, NegativeAndHugeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(int64_t{1} << 62);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.QuantileUs(0.5), 0);
  EXPECT_GT(h.QuantileUs(1.0), 0);
}

}  // namespace
}  // namespace bench
