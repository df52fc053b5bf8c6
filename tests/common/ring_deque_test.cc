#include "common/ring_deque.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace chat {
namespace {

TEST(RingDequeTest, AnEmptyQueueOwnsNoMemory) {
  RingDeque<std::string> queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.capacity(), 0u);
}

TEST(RingDequeTest, KeepsOrderAcrossTheWrapAndGrowth) {
  RingDeque<int> queue;
  int next_in = 0;
  int next_out = 0;
  // Push three, pop two, many times: the head walks around the ring while it grows.
  for (int round = 0; round < 100; ++round) {
    for (int k = 0; k < 3; ++k) {
      queue.push_back(next_in++);
    }
    for (int k = 0; k < 2; ++k) {
      ASSERT_EQ(queue.front(), next_out++);
      queue.pop_front();
    }
    ASSERT_EQ(queue.size(), static_cast<std::size_t>(next_in - next_out));
    for (std::size_t i = 0; i < queue.size(); ++i) {
      ASSERT_EQ(queue[i], next_out + static_cast<int>(i));
    }
  }
  queue.pop_front(queue.size());
  EXPECT_TRUE(queue.empty());
}

TEST(RingDequeTest, PoppedSlotsReleaseWhatTheyHeld) {
  RingDeque<std::shared_ptr<int>> queue;
  auto shared = std::make_shared<int>(7);
  queue.push_back(shared);
  queue.push_back(shared);
  EXPECT_EQ(shared.use_count(), 3);
  queue.pop_front();
  EXPECT_EQ(shared.use_count(), 2);
  queue.clear();
  EXPECT_EQ(shared.use_count(), 1);
}

TEST(RingDequeTest, EmptiedAfterABurstItGivesTheMemoryBack) {
  RingDeque<int> queue;
  for (int i = 0; i < 1000; ++i) {
    queue.push_back(i);
  }
  EXPECT_GE(queue.capacity(), 1000u);
  queue.pop_front(999);
  EXPECT_GE(queue.capacity(), 1000u);  // not empty yet
  queue.pop_front();
  EXPECT_EQ(queue.capacity(), 0u);
  // A trickle keeps its small ring.
  queue.push_back(1);
  queue.pop_front();
  EXPECT_EQ(queue.capacity(), 4u);
}

TEST(RingDequeTest, MovingTakesTheContents) {
  RingDeque<int> queue;
  queue.push_back(1);
  queue.push_back(2);
  RingDeque<int> other(std::move(queue));
  EXPECT_EQ(other.size(), 2u);
  EXPECT_EQ(other.front(), 1);
  EXPECT_TRUE(queue.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
}

}  // namespace
}  // namespace chat
