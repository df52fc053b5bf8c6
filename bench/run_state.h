#pragma once

// What every client of one run shares: the measured interval, the phase flags and the
// live member count of each room. Plain atomics; no locks. Lifetime: outlives the clients.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace bench {

class Sender;

// The steady clock in nanoseconds (the time base of payloads and the measured interval).
inline int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class RunState {
 public:
  explicit RunState(int rooms) : room_live_(new std::atomic<int>[rooms]) {
    for (int r = 0; r < rooms; ++r) {
      room_live_[r].store(0, std::memory_order_relaxed);
    }
  }

  // Deliveries received inside [start, end) are counted and timed.
  bool Measuring(int64_t now_ns) const {
    return now_ns >= measure_start_ns_.load(std::memory_order_relaxed) &&
           now_ns < measure_end_ns_.load(std::memory_order_relaxed);
  }
  void SetMeasureStart(int64_t ns) { measure_start_ns_.store(ns, std::memory_order_relaxed); }
  void SetMeasureEnd(int64_t ns) { measure_end_ns_.store(ns, std::memory_order_relaxed); }

  // Set once the tool starts closing: connections ending after that were not dropped.
  bool closing() const { return closing_.load(std::memory_order_acquire); }
  void set_closing() { closing_.store(true, std::memory_order_release); }

  // Members of room r that are connected and welcomed (ack=all waits for each of them).
  std::atomic<int>& room_live(int room) { return room_live_[room]; }

  // Messages sent but not yet acknowledged, over all senders (the drain waits for 0).
  std::atomic<int64_t>& outstanding() { return outstanding_; }

  // The sender objects by sender index (set before any client starts, then read-only).
  std::vector<Sender*>& senders() { return senders_; }

 private:
  std::atomic<int64_t> measure_start_ns_{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> measure_end_ns_{std::numeric_limits<int64_t>::max()};
  std::atomic<bool> closing_{false};
  std::unique_ptr<std::atomic<int>[]> room_live_;
  std::atomic<int64_t> outstanding_{0};
  std::vector<Sender*> senders_;
};

}  // namespace bench
