#pragma once

// The live objects of one kind (browser sessions, roomd streams), so shutdown can reach
// each of them and wait until all are gone. Holds weak references: it never extends a
// lifetime, and members remove themselves when they end.

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace wsbridge {

template <typename T>
class LiveSet {
 public:
  void Add(const std::shared_ptr<T>& item) {
    chat::MutexLock lock(&mu_);
    items_[item.get()] = item;
  }

  void Remove(const T* item) {
    chat::MutexLock lock(&mu_);
    items_.erase(item);
    if (items_.empty()) {
      empty_.SignalAll();
    }
  }

  // The members still alive; act on them after this returns, outside the lock.
  std::vector<std::shared_ptr<T>> Snapshot() const {
    std::vector<std::shared_ptr<T>> alive;
    chat::MutexLock lock(&mu_);
    alive.reserve(items_.size());
    for (const auto& [key, weak] : items_) {
      if (auto item = weak.lock()) {
        alive.push_back(std::move(item));
      }
    }
    return alive;
  }

  std::size_t size() const {
    chat::MutexLock lock(&mu_);
    return items_.size();
  }

  // Blocks until the set is empty or `timeout` passes; for shutdown and tests only.
  bool WaitEmpty(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    chat::MutexLock lock(&mu_);
    while (!items_.empty()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return false;
      }
      empty_.WaitFor(&mu_, absl::ToChronoMilliseconds(left) + std::chrono::milliseconds(1));
    }
    return true;
  }

 private:
  mutable chat::Mutex mu_;
  chat::CondVar empty_;
  absl::flat_hash_map<const T*, std::weak_ptr<T>> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wsbridge
