#include "wsbridge/write_pass.h"

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

namespace wsbridge {
namespace {

namespace net = boost::asio;

class RecordingWriter final : public WritePass::Writer {
 public:
  RecordingWriter(std::string name, std::vector<std::string>* log)
      : name_(std::move(name)), log_(log) {}
  void WriteQueued() override { log_->push_back(name_); }

 private:
  const std::string name_;
  std::vector<std::string>* const log_;
};

TEST(WritePassTest, RunsAfterWhatTheLoopHadQueuedAndCallsEachWriterOnce) {
  net::io_context loop(1);
  std::vector<std::string> log;
  auto first = std::make_shared<RecordingWriter>("first writes", &log);
  auto second = std::make_shared<RecordingWriter>("second writes", &log);
  net::post(loop, [&] {
    WritePass::Schedule(loop.get_executor(), first);
    WritePass::Schedule(loop.get_executor(), second);
    log.push_back("relay read 1 handled");
  });
  // Another relay read's wakeup, queued before the pass: it runs first, so its events
  // would join the same writes.
  net::post(loop, [&] { log.push_back("relay read 2 handled"); });
  loop.run();
  EXPECT_EQ(log, (std::vector<std::string>{"relay read 1 handled", "relay read 2 handled",
                                           "first writes", "second writes"}));
}

TEST(WritePassTest, ASessionScheduledAfterAPassGetsTheNextOne) {
  net::io_context loop(1);
  std::vector<std::string> log;
  auto writer = std::make_shared<RecordingWriter>("writes", &log);
  net::post(loop, [&] { WritePass::Schedule(loop.get_executor(), writer); });
  loop.run();
  ASSERT_EQ(log.size(), 1u);
  loop.restart();
  net::post(loop, [&] { WritePass::Schedule(loop.get_executor(), writer); });
  loop.run();
  EXPECT_EQ(log.size(), 2u);
}

}  // namespace
}  // namespace wsbridge
