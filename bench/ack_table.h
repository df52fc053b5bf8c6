#pragma once

// The "acknowledged by every receiver" bookkeeping for --ack=all: per sender, one slot per
// window position holding the seq in flight and how many receivers still lack it. Receivers
// on any thread count deliveries with a lock-free compare-and-swap; the one that brings the
// count to zero tells the sender. Thread-safe. Lifetime: outlives every client of the run.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace bench {

class AckTable {
 public:
  AckTable(int senders, int window);

  // Sender: `seq` (>= 1) is in flight and `receivers` deliveries will acknowledge it.
  void Arm(int sender, uint64_t seq, uint32_t receivers);
  // Any receiver: one delivery of (sender, seq); true if it was the last one awaited.
  bool Deliver(int sender, uint64_t seq);
  // Sender: stop waiting for `seq` (timeout); true if it was still awaited.
  bool Abandon(int sender, uint64_t seq);

 private:
  // A slot is seq << kCountBits | receivers still awaited.
  static constexpr int kCountBits = 24;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

  std::atomic<uint64_t>& Slot(int sender, uint64_t seq) {
    return slots_[static_cast<std::size_t>(sender) * window_ + seq % window_];
  }

  const uint64_t window_;
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;
};

}  // namespace bench
