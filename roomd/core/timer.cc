#include "roomd/core/timer.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace roomd {

Timer::Timer() : thread_([this] { Run(); }) {}

Timer::~Timer() { Stop(); }

void Timer::Schedule(absl::Time when, std::function<void()> callback) {
  chat::MutexLock lock(&mu_);
  if (stopped_) {
    return;
  }
  const bool earliest = queue_.empty() || when < queue_.front().when;
  queue_.push_back(Entry{when, next_order_++, std::move(callback)});
  std::push_heap(queue_.begin(), queue_.end(), Later());
  if (earliest) {
    cv_.Signal();
  }
}

void Timer::Stop() {
  {
    chat::MutexLock lock(&mu_);
    if (stopped_) {
      return;
    }
    stopped_ = true;
    queue_.clear();
    cv_.Signal();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void Timer::Run() {
  mu_.Lock();
  while (!stopped_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const absl::Time now = absl::Now();
    if (queue_.front().when > now) {
      cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(queue_.front().when - now));
      continue;
    }
    std::pop_heap(queue_.begin(), queue_.end(), Later());
    std::function<void()> callback = std::move(queue_.back().callback);
    queue_.pop_back();
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace roomd
