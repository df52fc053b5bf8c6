#include "bench/source_addresses.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

constexpr uint32_t Address(uint32_t b, uint32_t c, uint32_t d) {
  return (127u << 24) | (b << 16) | (c << 8) | d;
}

TEST(SourceAddressesTest, ARangeIsEveryAddressFromFirstToLast) {
  BenchOptions options;
  ASSERT_TRUE(ParseSourceAddresses("127.0.0.254-127.0.1.1", &options).ok());
  EXPECT_EQ(SourceAddresses(options),
            (std::vector<uint32_t>{Address(0, 0, 254), Address(0, 0, 255), Address(0, 1, 0),
                                   Address(0, 1, 1)}));
}

TEST(SourceAddressesTest, ACountStartsAt127002AndZeroLeavesItToTheKernel) {
  BenchOptions options;
  ASSERT_TRUE(ParseSourceAddresses("3", &options).ok());
  EXPECT_EQ(SourceAddresses(options),
            (std::vector<uint32_t>{Address(0, 0, 2), Address(0, 0, 3), Address(0, 0, 4)}));
  ASSERT_TRUE(ParseSourceAddresses("0", &options).ok());
  EXPECT_TRUE(SourceAddresses(options).empty());
}

TEST(SourceAddressesTest, AutomaticHolds250PerAddressAndShardsDoNotShare) {
  BenchOptions options;
  ASSERT_TRUE(ParseSourceAddresses("-1", &options).ok());
  options.clients = 100;
  EXPECT_EQ(SourceAddresses(options).size(), 4u);  // at least 4
  options.clients = 12500;
  options.shards = 8;
  options.shard = 0;
  const std::vector<uint32_t> first = SourceAddresses(options);
  ASSERT_EQ(first.size(), 50u);
  EXPECT_EQ(first.front(), Address(0, 0, 2));
  options.shard = 7;
  const std::vector<uint32_t> last = SourceAddresses(options);
  ASSERT_EQ(last.size(), 50u);
  EXPECT_EQ(last.front(), Address(0, 0, 2) + 7 * 50);
  EXPECT_EQ(last.back(), Address(0, 1, 145));  // 127.0.0.2 + 399
}

TEST(SourceAddressesTest, BadTextIsRefused) {
  BenchOptions options;
  EXPECT_FALSE(ParseSourceAddresses("10.0.0.1-10.0.0.2", &options).ok());  // not loopback
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.9-127.0.0.2", &options).ok());  // downwards
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.2-", &options).ok());
  EXPECT_FALSE(ParseSourceAddresses("many", &options).ok());
  EXPECT_FALSE(ParseSourceAddresses("-2", &options).ok());
  EXPECT_FALSE(ParseSourceAddresses("127.0.0.0-127.1.0.0", &options).ok());  // over 65,536
}

}  // namespace
}  // namespace bench
