#pragma once

// Memory for browser writes in flight. asio allocates each socket operation through its
// handler's allocator; the default one caches only a couple of blocks per thread, and a
// broadcast starts a write on hundreds of sessions before the first completes, so each of
// those went to malloc and later to free. OperationAllocator takes blocks from a free list
// of the calling thread instead: an IoThreads loop allocates and frees a session's
// operations on its own thread, so the list needs no lock, and it keeps at most
// kMaxFreeBlocks blocks. An operation larger than a block goes to the heap.

#include <cstddef>
#include <new>

namespace wsbridge {

class OperationMemory {
 public:
  // Fits the operation Beast and asio build for one WebSocket write (856 bytes with Boost
  // 1.81; OperationMemoryTest checks a real write is served from the list).
  static constexpr std::size_t kBlockBytes = 1024;
  static constexpr std::size_t kMaxFreeBlocks = 1024;

  static void* Allocate(std::size_t bytes);
  static void Deallocate(void* pointer, std::size_t bytes);

  // This thread's counters, for tests: blocks in the list, blocks handed out (from the list
  // or new), and allocations too large for a block.
  static std::size_t free_blocks();
  static std::size_t blocks_served();
  static std::size_t oversize_allocations();
};

template <typename T>
class OperationAllocator {
 public:
  using value_type = T;

  OperationAllocator() = default;
  template <typename U>
  OperationAllocator(const OperationAllocator<U>& /*other*/) {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    return static_cast<T*>(OperationMemory::Allocate(n * sizeof(T)));
  }
  void deallocate(T* pointer, std::size_t n) {
    OperationMemory::Deallocate(pointer, n * sizeof(T));
  }

  template <typename U>
  bool operator==(const OperationAllocator<U>& /*other*/) const {
    return true;
  }
};

// For operations that stay pending a long time (an idle browser's waits): a block of
// exactly their size from the heap. asio treats std::allocator as "recycle per thread", and
// would hand such a wait the larger block a finished write left behind (about 700 bytes).
template <typename T>
class ExactAllocator {
 public:
  using value_type = T;

  ExactAllocator() = default;
  template <typename U>
  ExactAllocator(const ExactAllocator<U>& /*other*/) {}  // NOLINT: rebinding

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* pointer, std::size_t /*n*/) { ::operator delete(pointer); }

  template <typename U>
  bool operator==(const ExactAllocator<U>& /*other*/) const {
    return true;
  }
};

}  // namespace wsbridge
