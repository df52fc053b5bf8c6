#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"

namespace roomd {

class RedisConnection;

// The event loop of the Redis broker: one thread that polls the sockets of its hiredis
// connections, runs tasks posted from any thread, and fires timers. Everything that talks
// to Redis runs here, so gRPC reactions only ever queue work. Lifetime: owned by the
// broker; Stop() joins the thread; connections must outlive the loop's use of them.
class RedisLoop {
 public:
  // At most `max_queued` bounded tasks wait at once.
  explicit RedisLoop(size_t max_queued);
  ~RedisLoop();
  RedisLoop(const RedisLoop&) = delete;
  RedisLoop& operator=(const RedisLoop&) = delete;

  void Start();

  // Runs `task` on the loop thread, in posting order. False (the task is dropped) once the
  // loop is stopping, or when `bounded` and `max_queued` tasks already wait.
  bool Post(std::function<void()> task, bool bounded = false);

  // Loop thread only: runs `task` after `delay`. Timers still pending at Stop() are dropped.
  void RunAfter(absl::Duration delay, std::function<void()> task);
  // Loop thread only: polls `connection`'s socket whenever it has one.
  void Watch(RedisConnection* connection);

  // Refuses new tasks, runs those already queued, and joins the thread. Idempotent; not
  // from the loop thread.
  void Stop();

  bool InLoopThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Task {
    std::function<void()> run;
    bool bounded;
  };
  struct Timer {
    absl::Time when;
    uint64_t order;
    std::function<void()> task;
  };
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const {
      return a.when != b.when ? a.when > b.when : a.order > b.order;
    }
  };

  void Run();
  // Runs the queued tasks; false once asked to stop.
  bool RunTasks();
  void RunDueTimers();
  void Wake();

  const size_t max_queued_;
  int wake_fd_ = -1;
  std::thread thread_;

  chat::Mutex mu_;
  std::vector<Task> tasks_ ABSL_GUARDED_BY(mu_);
  size_t bounded_queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  std::vector<Timer> timers_;  // a min-heap on (when, order)
  uint64_t next_timer_order_ = 0;
  std::vector<RedisConnection*> connections_;
};

}  // namespace roomd
