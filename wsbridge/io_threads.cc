#include "wsbridge/io_threads.h"

#include <algorithm>

namespace wsbridge {

IoThreads::IoThreads(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    loops_.push_back(std::make_unique<Loop>());
  }
}

IoThreads::~IoThreads() { Stop(); }

void IoThreads::Start() {
  for (auto& loop : loops_) {
    threads_.emplace_back([context = &loop->context] { context->run(); });
  }
}

void IoThreads::Stop() {
  for (auto& loop : loops_) {
    loop->work.reset();
    loop->context.stop();
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

boost::asio::any_io_executor IoThreads::Next() {
  const std::size_t index = next_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
  return loops_[index]->context.get_executor();
}

}  // namespace wsbridge
