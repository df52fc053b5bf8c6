#include "bench/ack_table.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(AckTableTest, LastDeliveryAcknowledges) {
  AckTable table(2, 4);
  table.Arm(1, 5, 3);
  EXPECT_FALSE(table.Deliver(1, 5));
  EXPECT_FALSE(table.Deliver(1, 5));
  EXPECT_TRUE(table.Deliver(1, 5));
  EXPECT_FALSE(table.Deliver(1, 5));  // more copies than receivers: no second ack
}

TEST(AckTableTest, StaleSeqIsIgnored) {
  AckTable table(1, 4);
  table.Arm(0, 9, 1);                 // slot 1, reused from seq 5
  EXPECT_FALSE(table.Deliver(0, 5));  // a late copy of the old seq
  EXPECT_TRUE(table.Deliver(0, 9));
}

TEST(AckTableTest, AbandonStopsWaiting) {
  AckTable table(1, 2);
  table.Arm(0, 3, 2);
  EXPECT_FALSE(table.Deliver(0, 3));
  EXPECT_TRUE(table.Abandon(0, 3));
  EXPECT_FALSE(table.Deliver(0, 3));
  EXPECT_FALSE(table.Abandon(0, 3));
}

TEST(AckTableTest, ExactlyOneAckUnderConcurrentDeliveries) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  constexpr int kRounds = 20;
  AckTable table(1, 1);
  for (uint64_t seq = 1; seq <= kRounds; ++seq) {
    table.Arm(0, seq, kThreads * kPerThread);
    std::vector<int> acks(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          acks[t] += table.Deliver(0, seq) ? 1 : 0;
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    int total = 0;
    for (int a : acks) {
      total += a;
    }
    EXPECT_EQ(total, 1) << "seq " << seq;
  }
}

}  // namespace
}  // namespace bench
