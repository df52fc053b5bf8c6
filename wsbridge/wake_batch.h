#pragma once

// The wakeups one read from roomd owes to browser sessions, posted once per event loop
// rather than once per session: a broadcast to a thousand browsers then costs each io
// thread one cross-thread post instead of a thousand (each an allocation, a lock and often
// a futex). Only for executors that run one handler at a time (IoThreads' loops): every
// wake of a group runs on that loop's thread, one after another.
// Not thread-safe: one reader fills it and posts it.

#include <functional>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

namespace wsbridge {

class WakeBatch {
 public:
  WakeBatch() = default;
  WakeBatch(const WakeBatch&) = delete;
  WakeBatch& operator=(const WakeBatch&) = delete;
  ~WakeBatch() { Post(); }

  // `wake` runs on `executor`, after Post().
  void Add(const boost::asio::any_io_executor& executor, std::function<void()> wake) {
    for (Group& group : groups_) {
      if (group.executor == executor) {
        group.wakes.push_back(std::move(wake));
        return;
      }
    }
    groups_.push_back(Group{executor, {}});
    groups_.back().wakes.push_back(std::move(wake));
  }

  void Post() {
    for (Group& group : groups_) {
      boost::asio::post(group.executor, [wakes = std::move(group.wakes)] {
        for (const std::function<void()>& wake : wakes) {
          wake();
        }
      });
    }
    groups_.clear();
  }

 private:
  struct Group {
    boost::asio::any_io_executor executor;
    std::vector<std::function<void()>> wakes;
  };
  std::vector<Group> groups_;  // a few: one per event loop
};

}  // namespace wsbridge
