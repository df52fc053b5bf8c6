#include "common/heap_trimmer.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace chat {

HeapTrimmer::HeapTrimmer(absl::Duration interval, int64_t min_growth_bytes)
    : interval_(interval), min_growth_bytes_(min_growth_bytes) {
  if (interval_ > absl::ZeroDuration()) {
    thread_ = std::thread([this] { Run(); });
  }
}

HeapTrimmer::~HeapTrimmer() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  if (thread_.joinable()) {
    thread_.join();
  }
}

int64_t HeapTrimmer::ResidentBytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) {
    return 0;
  }
  long long size_pages = 0;
  long long resident_pages = 0;
  const int read = std::fscanf(file, "%lld %lld", &size_pages, &resident_pages);
  std::fclose(file);
  return read == 2 ? resident_pages * static_cast<int64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

int64_t HeapTrimmer::TrimNow() {
  malloc_trim(0);
  return ResidentBytes();
}

void HeapTrimmer::Run() {
  int64_t baseline = ResidentBytes();
  MutexLock lock(&mu_);
  while (!stop_) {
    stop_cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(interval_));
    if (stop_) {
      break;
    }
    const int64_t now = ResidentBytes();
    if (now - baseline >= min_growth_bytes_) {
      baseline = TrimNow();
    } else if (now < baseline) {
      baseline = now;  // it shrank by itself: growth counts from here
    }
  }
}

}  // namespace chat
