#pragma once

// The live objects of one kind (browser sessions, roomd streams), so shutdown can reach
// each of them and wait until all are gone. Holds weak references: it never extends a
// lifetime. A member joins with Add() and leaves when it is destroyed, through the
// Membership it holds as its first field (see there).

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
  // A member's tie to its set. Declared as the member's first field, it is destroyed last,
  // so the set counts the member until everything it owns is gone. That matters for gRPC
  // calls: a ClientContext holds the channel, and if a context outlived its RoomdClient
  // and died on one of gRPC's callback threads, that thread would drop the channel's last
  // reference and gRPC 1.51 would free its callback queue under its own feet (a double
  // free at shutdown). Waiting for full destruction keeps the last release on the
  // shutting-down thread.
  class Membership {
   public:
    Membership(LiveSet* set, const T* member) : set_(set), member_(member) {}
    ~Membership() { set_->Remove(member_); }
    Membership(const Membership&) = delete;
    Membership& operator=(const Membership&) = delete;

   private:
    LiveSet* const set_;
    const T* const member_;
  };

  // Counts `item` until its Membership is destroyed (Add without one never ends).
  void Add(const std::shared_ptr<T>& item) {
    chat::MutexLock lock(&mu_);
    items_[item.get()] = item;
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
  void Remove(const T* item) {
    chat::MutexLock lock(&mu_);
    items_.erase(item);
    if (items_.empty()) {
      empty_.SignalAll();
    }
  }

  mutable chat::Mutex mu_;
  chat::CondVar empty_;
  absl::flat_hash_map<const T*, std::weak_ptr<T>> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wsbridge
