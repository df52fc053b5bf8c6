#pragma once

// Runs callbacks at given times on one dedicated thread, so reactions never wait for time
// to pass. Lifetime: owned by the server; it must outlive everything that schedules on it,
// and callbacks must hold only weak references to what they touch.

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"

namespace roomd {

class Timer {
 public:
  Timer();
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Runs `callback` on the timer thread at `when` (or soon after). Never blocks. After
  // Stop(), callbacks are dropped.
  void Schedule(absl::Time when, std::function<void()> callback);

  // Stops the thread; pending callbacks are discarded. Idempotent.
  void Stop();

 private:
  struct Entry {
    absl::Time when;
    uint64_t order;
    std::function<void()> callback;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.when != b.when ? a.when > b.when : a.order > b.order;
    }
  };

  void Run();

  chat::Mutex mu_;
  chat::CondVar cv_;
  // A min-heap on (when, order) kept with std::push_heap/pop_heap.
  std::vector<Entry> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace roomd
