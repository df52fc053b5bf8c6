#pragma once

// The bridge's event loops: one io_context per thread, each run by exactly that thread.
// A connection is placed on one loop for its whole life, so its handlers never run
// concurrently (the loop is its strand) and work for many connections on one loop can be
// handed over in one post (WakeBatch) instead of one cross-thread post per connection.
// Lifetime: Stop() (or the destructor) stops the loops and joins the threads.

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace wsbridge {

class IoThreads {
 public:
  explicit IoThreads(int threads);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  void Start();
  // Stops every loop (pending handlers are dropped) and joins the threads.
  void Stop();

  // The loop for a new connection, round robin.
  boost::asio::any_io_executor Next();
  boost::asio::any_io_executor first() { return loops_.front()->context.get_executor(); }

 private:
  struct Loop {
    boost::asio::io_context context{1};  // one thread: posts from it skip the shared queue
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        context.get_executor()};
  };

  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace wsbridge
