#include "bench/ack_table.h"

#include <algorithm>

namespace bench {

AckTable::AckTable(int senders, int window)
    : window_(static_cast<uint64_t>(std::max(window, 1))),
      slots_(new std::atomic<uint64_t>[static_cast<std::size_t>(std::max(senders, 1)) *
                                       window_]) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(std::max(senders, 1)) * window_; ++i) {
    slots_[i].store(0, std::memory_order_relaxed);
  }
}

void AckTable::Arm(int sender, uint64_t seq, uint32_t receivers) {
  const uint64_t count = std::min<uint64_t>(receivers, kCountMask);
  Slot(sender, seq).store((seq << kCountBits) | count, std::memory_order_release);
}

bool AckTable::Deliver(int sender, uint64_t seq) {
  std::atomic<uint64_t>& slot = Slot(sender, seq);
  uint64_t value = slot.load(std::memory_order_acquire);
  while (true) {
    if ((value >> kCountBits) != seq || (value & kCountMask) == 0) {
      return false;  // an abandoned or already reused slot
    }
    if (slot.compare_exchange_weak(value, value - 1, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return (value & kCountMask) == 1;
    }
  }
}

bool AckTable::Abandon(int sender, uint64_t seq) {
  std::atomic<uint64_t>& slot = Slot(sender, seq);
  uint64_t value = slot.load(std::memory_order_acquire);
  while ((value >> kCountBits) == seq && (value & kCountMask) != 0) {
    if (slot.compare_exchange_weak(value, seq << kCountBits, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return true;
    }
  }
  return false;
}

}  // namespace bench
