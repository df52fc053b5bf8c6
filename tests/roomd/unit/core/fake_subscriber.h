#pragma once

// What room tests hand a Room as a member: it records the room's wakes and drops, and tests
// wait on it with deadlines.

#include <atomic>
#include <chrono>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "roomd/core/subscriber.h"

namespace roomd::testing {

class FakeSubscriber : public Subscriber {
 public:
  // The room's timer thread may still be inside a notification (it Unrefs after the call
  // that woke the test): outlive it, as the real session's reference count makes it do.
  ~FakeSubscriber() override {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (refs_.load() != 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  void Ref() override { refs_.fetch_add(1); }
  void Unref() override { refs_.fetch_sub(1); }
  void OnEventsAvailable() override {
    chat::MutexLock lock(&mu_);
    ++wakes_;
    cv_.SignalAll();
  }
  void OnDropped(const absl::Status& why) override {
    chat::MutexLock lock(&mu_);
    dropped_ = why;
    cv_.SignalAll();
  }
  int wakes() {
    chat::MutexLock lock(&mu_);
    return wakes_;
  }
  absl::Status dropped() {
    chat::MutexLock lock(&mu_);
    return dropped_;
  }
  // True once the room woke it `count` times in all, false after 10 s.
  bool WaitForWakes(int count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    chat::MutexLock lock(&mu_);
    while (wakes_ < count) {
      if (absl::Now() >= deadline) {
        return false;
      }
      cv_.WaitFor(&mu_, std::chrono::milliseconds(100));
    }
    return true;
  }
  // True once the room woke it more than `seen` times, false after 10 s.
  bool WaitForWakeAfter(int seen) { return WaitForWakes(seen + 1); }
  int refs() const { return refs_.load(); }

 private:
  std::atomic<int> refs_{0};
  chat::Mutex mu_;
  chat::CondVar cv_;
  int wakes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status dropped_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd::testing
