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
class PassPacer {
 public:
  using Clock = std::chrono::steady_clock;
  // Events per frame a paced loop aims for, and the longest it waits for them.
  static constexpr double kTargetEvents = 16;
  static constexpr std::chrono::milliseconds kMaxPause{30};
  // The smoothed events per frame from which a loop counts as behind.
  static constexpr double kBehindEvents = 4;

  // A pass starts; the next one is timed from here.
  void OnPassStart(Clock::time_point start) { pass_start_ = start; }
  // The pass wrote `frames` frames holding `events` events.
  void OnPassEnd(std::size_t frames, std::size_t events);
  // The earliest start of the next pass.
  Clock::time_point NextPassAt() const;

  double smoothed_events_per_frame() const { return events_per_frame_; }

 private:
  Clock::time_point pass_start_{};    // of the latest pass
  Clock::time_point writing_start_{};  // of the latest pass that wrote anything
  double events_per_frame_ = 1;
  double events_per_second_ = 0;  // reaching each browser (smoothed)
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
