#include "wsbridge/websocket/write_pass.h"

#include <chrono>
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
  std::size_t WriteQueued() override {
    log_->push_back(name_);
    return 1;
  }

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

using Clock = PassPacer::Clock;
using std::chrono::milliseconds;

// Feeds `passes` passes, `interval` apart from `*now`, each writing 500 frames: a pass the
// pacer times holds `paced_events` events per frame, one it runs at once `events`.
void FeedPasses(PassPacer* pacer, Clock::time_point* now, int passes, milliseconds interval,
                std::size_t events, std::size_t paced_events = 0) {
  for (int i = 0; i < passes; ++i) {
    *now += interval;
    const bool paced = pacer->NextPassAt() != Clock::time_point{};
    pacer->OnPassStart(*now, paced);
    const std::size_t per_frame = paced && paced_events > 0 ? paced_events : events;
    pacer->OnPassEnd(per_frame > 0 ? 500 : 0, 500 * per_frame);
  }
}

// True when the next kProbeEvery passes would all run at once.
bool KeepsUp(PassPacer* pacer) {
  for (int i = 0; i < PassPacer::kProbeEvery; ++i) {
    if (pacer->NextPassAt() != Clock::time_point{}) {
      return false;
    }
  }
  return true;
}

// When the next paced pass may start (skipping a probe), or the epoch if none is paced.
Clock::time_point NextPaced(PassPacer* pacer) {
  for (int i = 0; i < PassPacer::kProbeEvery; ++i) {
    const Clock::time_point at = pacer->NextPassAt();
    if (at != Clock::time_point{}) {
      return at;
    }
  }
  return Clock::time_point{};
}

TEST(PassPacerTest, ALoopThatKeepsUpWritesAtOnce) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  FeedPasses(&pacer, &now, 100, milliseconds(10), 1);  // one event per frame: L10-like
  EXPECT_TRUE(KeepsUp(&pacer));
}

TEST(PassPacerTest, ALoopBehindWaitsUntilAboutTheTargetHasGathered) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  // 10 events per frame every 5 ms: 2,000 events a second reach each browser, so
  // kTargetEvents gather in kTargetEvents / 2,000 seconds (16 ms for 32).
  FeedPasses(&pacer, &now, 100, milliseconds(5), 10);
  const auto pause =
      std::chrono::duration_cast<std::chrono::microseconds>(NextPaced(&pacer) - now);
  const double expected_us = PassPacer::kTargetEvents / 2000 * 1e6;
  ASSERT_LT(expected_us, std::chrono::microseconds(PassPacer::kMaxPause).count());
  EXPECT_NEAR(static_cast<double>(pause.count()), expected_us, expected_us / 20);
}

TEST(PassPacerTest, TheWaitNeverExceedsTheMaximum) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  FeedPasses(&pacer, &now, 100, milliseconds(100), 5);  // behind, but events come slowly
  EXPECT_EQ(NextPaced(&pacer), now + PassPacer::kMaxPause);
}

TEST(PassPacerTest, OneBigBurstDoesNotPaceButASustainedBacklogDoes) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  FeedPasses(&pacer, &now, 100, milliseconds(10), 1);
  FeedPasses(&pacer, &now, 1, milliseconds(10), 20);  // two messages met in one pass
  EXPECT_TRUE(KeepsUp(&pacer));
  FeedPasses(&pacer, &now, 20, milliseconds(10), 8);
  EXPECT_NE(NextPaced(&pacer), Clock::time_point{});
}

// The join of a big room: afterwards the loop is paced.
void JoinABigRoom(PassPacer* pacer, Clock::time_point* now) {
  FeedPasses(pacer, now, 30, milliseconds(10), 50);
  ASSERT_NE(NextPaced(pacer), Clock::time_point{});
}

TEST(PassPacerTest, APacedLoopThatCouldKeepUpAgainStopsWaiting) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  ASSERT_NO_FATAL_FAILURE(JoinABigRoom(&pacer, &now));
  // Now the paced passes find full frames only because they waited; the probes, run at
  // once, find one event per frame, and the loop goes back to writing at once.
  FeedPasses(&pacer, &now, 400, milliseconds(10), /*events=*/1, /*paced_events=*/5);
  EXPECT_TRUE(KeepsUp(&pacer));
}

TEST(PassPacerTest, APacedLoopWhoseProbesFindNothingWaitingStopsWaiting) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  ASSERT_NO_FATAL_FAILURE(JoinABigRoom(&pacer, &now));
  // L2 after a join: each paced pass finds the one message that came while it waited, and
  // a probe right after it finds none (it only ends the writes of the pass before).
  FeedPasses(&pacer, &now, 100, milliseconds(50), /*events=*/0, /*paced_events=*/1);
  EXPECT_TRUE(KeepsUp(&pacer));
}

TEST(PassPacerTest, PassesThatWroteNothingDoNotCount) {
  PassPacer pacer;
  Clock::time_point now = Clock::now();
  FeedPasses(&pacer, &now, 100, milliseconds(10), 1);
  for (int i = 0; i < 100; ++i) {
    now += milliseconds(1);
    pacer.OnPassStart(now, /*paced=*/false);
    pacer.OnPassEnd(0, 0);
  }
  EXPECT_TRUE(KeepsUp(&pacer));
  EXPECT_DOUBLE_EQ(pacer.backlog_per_frame(), 1);
}

}  // namespace
}  // namespace wsbridge
