#pragma once

// Gives memory glibc's malloc holds free back to the kernel after the heap grew.
//
// A join storm allocates many short-lived buffers (Welcomes, presence batches, relay
// writes) between the long-lived ones each connection keeps; once they are freed, glibc
// keeps the holes in its arenas and only ever returns the top of a heap, so a daemon's RSS
// stays at the storm's peak (measured on roomd: 96 MB with 10,000 connections, 70 MB after
// one malloc_trim). Every `interval` this thread reads the process's RSS (/proc/self/statm,
// cheap) and, when it grew by at least `min_growth` since the last trim, calls
// malloc_trim(0), which returns the free pages inside the arenas too. A daemon whose RSS is
// steady never trims, so the cost (the walk holds each arena's lock for a few ms) is paid
// after growth only.
//
// Lifetime: owned by main; the destructor stops and joins the thread.

#include <cstdint>
#include <thread>

#include "absl/time/time.h"
#include "common/mutex.h"

namespace chat {

class HeapTrimmer {
 public:
  // interval 0: does nothing.
  explicit HeapTrimmer(absl::Duration interval, int64_t min_growth_bytes = 8 << 20);
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  // This process's resident set in bytes (0 if /proc cannot be read).
  static int64_t ResidentBytes();
  // Trims now; returns the RSS afterwards.
  static int64_t TrimNow();

 private:
  void Run();

  const absl::Duration interval_;
  const int64_t min_growth_bytes_;
  Mutex mu_;
  CondVar stop_cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace chat
