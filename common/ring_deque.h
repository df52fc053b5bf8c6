#pragma once

// A FIFO queue over one ring of slots, for the per-connection queues both daemons keep
// (a browser's outbound frames, a session's private events). Unlike std::deque, an empty
// RingDeque owns no memory: libstdc++'s deque allocates a 64-byte map and a 512-byte node
// as soon as it exists, which at 100,000 mostly idle connections with several queues each
// was hundreds of megabytes. The ring grows by doubling; once it is emptied it keeps at
// most kKeptSlots slots, so a burst's capacity is given back and a steady trickle does not
// allocate.
//
// T must be default-constructible and movable; a popped slot is reset to T(), so what it
// held (a shared frame, a slice) is released at once. Not thread-safe.

#include <cstddef>
#include <utility>
#include <vector>

namespace chat {

template <typename T>
class RingDeque {
 public:
  // Slots kept when the queue empties; more are freed.
  static constexpr std::size_t kKeptSlots = 16;

  RingDeque() = default;
  RingDeque(RingDeque&& other) noexcept { *this = std::move(other); }
  RingDeque& operator=(RingDeque&& other) noexcept {
    slots_ = std::move(other.slots_);
    head_ = std::exchange(other.head_, 0);
    size_ = std::exchange(other.size_, 0);
    other.slots_.clear();
    return *this;
  }
  RingDeque(const RingDeque&) = delete;
  RingDeque& operator=(const RingDeque&) = delete;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  T& operator[](std::size_t i) { return slots_[Slot(i)]; }
  const T& operator[](std::size_t i) const { return slots_[Slot(i)]; }

  void push_back(T value) {
    if (size_ == slots_.size()) {
      Grow();
    }
    slots_[Slot(size_)] = std::move(value);
    ++size_;
  }

  void pop_front() { pop_front(1); }
  // Drops the first `n` (at most size()).
  void pop_front(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      slots_[head_] = T();
      head_ = (head_ + 1) & (slots_.size() - 1);
    }
    size_ -= n;
    if (size_ == 0) {
      head_ = 0;
      if (slots_.size() > kKeptSlots) {
        std::vector<T>().swap(slots_);
      }
    }
  }

  // Empties the queue and frees its memory.
  void clear() {
    std::vector<T>().swap(slots_);
    head_ = 0;
    size_ = 0;
  }

 private:
  // The ring's size is a power of two, so a position is a mask away.
  std::size_t Slot(std::size_t i) const { return (head_ + i) & (slots_.size() - 1); }

  void Grow() {
    std::vector<T> grown(slots_.empty() ? 4 : 2 * slots_.size());
    for (std::size_t i = 0; i < size_; ++i) {
      grown[i] = std::move(slots_[Slot(i)]);
    }
    slots_.swap(grown);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace chat
