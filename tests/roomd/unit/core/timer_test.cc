#include "roomd/core/timer.h"

#include <gtest/gtest.h>

#include <vector>

#include "absl/time/clock.h"
#include "common/mutex.h"

namespace roomd {
namespace {

TEST(TimerTest, RunsCallbacksInDeadlineOrder) {
  Timer timer;
  chat::Mutex mu;
  chat::CondVar cv;
  std::vector<int> order;
  const absl::Time now = absl::Now();
  for (int i : {3, 1, 2}) {
    timer.Schedule(now + absl::Milliseconds(5 * i), [&, i] {
      chat::MutexLock lock(&mu);
      order.push_back(i);
      cv.SignalAll();
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  chat::MutexLock lock(&mu);
  while (order.size() < 3 && absl::Now() < deadline) {
    cv.WaitFor(&mu, std::chrono::milliseconds(100));
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerTest, StopDiscardsPendingCallbacks) {
  bool ran = false;
  {
    Timer timer;
    timer.Schedule(absl::Now() + absl::Hours(1), [&ran] { ran = true; });
    timer.Stop();
    timer.Schedule(absl::Now(), [&ran] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace roomd
