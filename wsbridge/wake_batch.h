#pragma once

// The wakeups one read from roomd owes to browser sessions, posted once per event loop
// rather than once per session: a broadcast to a thousand browsers then costs each io
// thread one cross-thread post instead of a thousand (each an allocation, a lock and often
// a futex). Only for executors that run one handler at a time (IoThreads' loops): every
// wake of a group runs on that loop's thread, one after another.
// Not thread-safe: one reader fills it and posts it.

#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

namespace wsbridge {

// What a WakeBatch wakes.
class Wakeable {
 public:
  virtual ~Wakeable() = default;
  // Runs on the executor the wake was added with.
  virtual void Wake() = 0;
};

class WakeBatch {
 public:
  WakeBatch() = default;
  WakeBatch(const WakeBatch&) = delete;
  WakeBatch& operator=(const WakeBatch&) = delete;
  ~WakeBatch() { Post(); }

  // `target->Wake()` runs on `executor`, after Post().
  void Add(const boost::asio::any_io_executor& executor, std::shared_ptr<Wakeable> target) {
    for (Group& group : groups_) {
      if (group.executor == executor) {
        group.targets.push_back(std::move(target));
        return;
      }
    }
    groups_.push_back(Group{executor, {}});
    groups_.back().targets.push_back(std::move(target));
  }

  void Post() {
    for (Group& group : groups_) {
      boost::asio::post(group.executor, [targets = std::move(group.targets)] {
        for (const std::shared_ptr<Wakeable>& target : targets) {
          target->Wake();
        }
      });
    }
    groups_.clear();
  }

 private:
  struct Group {
    boost::asio::any_io_executor executor;
    std::vector<std::shared_ptr<Wakeable>> targets;
  };
  std::vector<Group> groups_;  // a few: one per event loop
};

}  // namespace wsbridge
