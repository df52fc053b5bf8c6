#pragma once

// Browser writes deferred to the end of what an io loop already has queued. A session with
// new frames asks for a pass instead of writing at once; the pass runs after the handlers
// queued before it (other relay reads' wakeups above all) and then writes each session
// once. On an idle loop that is right away; on a busy one, the events of several relay
// reads go out in one WebSocket frame, so the bridge and the browsers spend less per
// message exactly when they have the least time.
//
// A loop that stays behind (its frames keep carrying several events each) also waits
// between passes, so each frame gathers about PassPacer::kTargetEvents: the cost of a
// frame (mostly the kernel's) is then shared by many events instead of a few. Lightly
// loaded loops never wait, so a message at low load goes out at once.
// Loop threads only (IoThreads): the list is the calling thread's own.

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace wsbridge {

// When a loop's next pass may run. Pure bookkeeping, one per loop.
//
// Whether the loop is behind is judged only from passes that ran at once: a paced pass's
// frames are full because it waited, and counting them would keep a loop paced after a
// burst (the join of a thousand browsers) long after it could keep up again. So a paced
// loop still runs every kProbeEvery-th pass at once, to see whether a backlog remains.
class PassPacer {
 public:
  using Clock = std::chrono::steady_clock;
  // Events per frame a paced loop aims for, and the longest it waits for them.
  static constexpr double kTargetEvents = 32;
  static constexpr std::chrono::milliseconds kMaxPause{50};
  // Events per frame found by passes run at once, from which a loop is behind.
  static constexpr double kBehindEvents = 4;
  static constexpr int kProbeEvery = 4;

  // A pass starts, paced (NextPassAt gave it a time) or at once; the next pass is timed
  // from here.
  void OnPassStart(Clock::time_point start, bool paced) {
    pass_start_ = start;
    pass_paced_ = paced;
  }
  // The pass wrote `frames` frames holding `events` events.
  void OnPassEnd(std::size_t frames, std::size_t events);
  // The earliest start of the next pass; each call is for one pass (it counts the probes).
  Clock::time_point NextPassAt();

  // Events per frame found by the passes that ran at once (smoothed; a probe's alone).
  double backlog_per_frame() const { return backlog_per_frame_; }

 private:
  Clock::time_point pass_start_{};    // of the latest pass
  bool pass_paced_ = false;
  Clock::time_point writing_start_{};  // of the latest pass that wrote anything
  double backlog_per_frame_ = 1;
  double events_per_second_ = 0;  // reaching each browser (smoothed)
  int paced_since_probe_ = 0;
};

class WritePass {
 public:
  class Writer {
   public:
    virtual ~Writer() = default;
    // Writes what is queued; runs on the loop that scheduled it. Returns the events the
    // frame it wrote holds (0 when it wrote none).
    virtual std::size_t WriteQueued() = 0;
  };

  // `loop` is the calling thread's loop; `writer` is called once by the next pass.
  static void Schedule(const boost::asio::any_io_executor& loop, std::shared_ptr<Writer> writer);
};

}  // namespace wsbridge
