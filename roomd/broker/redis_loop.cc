#include "roomd/broker/redis_loop.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/time/clock.h"
#include "roomd/broker/redis_connection.h"

namespace roomd {
namespace {

// Upper bound of one poll() wait, so a stuck socket never hides a due timer for long.
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

}  // namespace

RedisLoop::RedisLoop(size_t max_queued) : max_queued_(max_queued) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

RedisLoop::~RedisLoop() {
  Stop();
  if (wake_fd_ >= 0) {
    close(wake_fd_);
  }
}

void RedisLoop::Start() { thread_ = std::thread([this] { Run(); }); }

bool RedisLoop::Post(std::function<void()> task, bool bounded) {
  {
    chat::MutexLock lock(&mu_);
    if (stopping_ || (bounded && bounded_queued_ >= max_queued_)) {
      return false;
    }
    bounded_queued_ += bounded ? 1 : 0;
    tasks_.push_back(Task{std::move(task), bounded});
  }
  Wake();
  return true;
}

void RedisLoop::RunAfter(absl::Duration delay, std::function<void()> task) {
  timers_.push_back(Timer{absl::Now() + delay, next_timer_order_++, std::move(task)});
  std::push_heap(timers_.begin(), timers_.end(), Later());
}

void RedisLoop::Watch(RedisConnection* connection) {
  if (std::find(connections_.begin(), connections_.end(), connection) == connections_.end()) {
    connections_.push_back(connection);
  }
}

void RedisLoop::Stop() {
  {
    chat::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void RedisLoop::Wake() {
  const uint64_t one = 1;
  // A full counter already means "wake up"; nothing else can fail here.
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

bool RedisLoop::RunTasks() {
  std::vector<Task> tasks;
  bool stopping;
  {
    chat::MutexLock lock(&mu_);
    tasks.swap(tasks_);
    bounded_queued_ = 0;
    stopping = stopping_;
  }
  for (Task& task : tasks) {
    task.run();
  }
  return !stopping;
}

void RedisLoop::RunDueTimers() {
  const absl::Time now = absl::Now();
  while (!timers_.empty() && timers_.front().when <= now) {
    std::pop_heap(timers_.begin(), timers_.end(), Later());
    std::function<void()> task = std::move(timers_.back().task);
    timers_.pop_back();
    task();
  }
}

void RedisLoop::Run() {
  std::vector<pollfd> fds;
  std::vector<RedisConnection*> polled;
  while (RunTasks()) {
    RunDueTimers();
    fds.clear();
    polled.clear();
    fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    for (RedisConnection* connection : connections_) {
      if (connection->fd() < 0) {
        continue;
      }
      short events = 0;
      events |= connection->wants_read() ? POLLIN : 0;
      events |= connection->wants_write() ? POLLOUT : 0;
      fds.push_back(pollfd{connection->fd(), events, 0});
      polled.push_back(connection);
    }
    absl::Duration wait = kMaxPollWait;
    if (!timers_.empty()) {
      wait = std::clamp(timers_.front().when - absl::Now(), absl::ZeroDuration(), kMaxPollWait);
    }
    const int ready = poll(fds.data(), fds.size(),
                           static_cast<int>(absl::ToInt64Milliseconds(wait + absl::Microseconds(999))));
    if (ready < 0 && errno != EINTR) {
      continue;  // poll itself failing is not expected; the timers still bound the wait
    }
    if (fds[0].revents != 0) {
      uint64_t count;
      [[maybe_unused]] ssize_t got = read(wake_fd_, &count, sizeof(count));
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      const short revents = fds[i + 1].revents;
      RedisConnection* connection = polled[i];
      // A callback may have closed this connection or opened a new socket on it.
      if (revents == 0 || connection->fd() != fds[i + 1].fd) {
        continue;
      }
      if ((revents & (POLLIN | POLLERR | POLLHUP)) != 0 && connection->wants_read()) {
        connection->HandleRead();
      }
      if (connection->fd() != fds[i + 1].fd) {
        continue;
      }
      if ((revents & (POLLOUT | POLLERR | POLLHUP)) != 0 && connection->wants_write()) {
        connection->HandleWrite();
      }
    }
  }
  // Stopping: what was queued still runs (tasks fail their callbacks cleanly).
  RunTasks();
  timers_.clear();
}

}  // namespace roomd
