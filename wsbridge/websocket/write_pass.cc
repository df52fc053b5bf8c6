#include "wsbridge/websocket/write_pass.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace wsbridge {
namespace {

// How much of each new pass the smoothed figures take in.
constexpr double kSmoothing = 0.1;

struct Pending {
  std::vector<std::shared_ptr<WritePass::Writer>> writers;
  bool scheduled = false;  // a pass is posted or waits on the timer
  PassPacer pacer;
};

Pending& ThisLoopsPending() {
  thread_local Pending pending;
  return pending;
}

void RunPass(bool paced) {
  Pending& pending = ThisLoopsPending();
  pending.pacer.OnPassStart(PassPacer::Clock::now(), paced);
  std::vector<std::shared_ptr<WritePass::Writer>> writers;
  writers.swap(pending.writers);
  pending.scheduled = false;
  std::size_t frames = 0;
  std::size_t events = 0;
  for (const std::shared_ptr<WritePass::Writer>& writer : writers) {
    const std::size_t written = writer->WriteQueued();
    frames += written > 0 ? 1 : 0;
    events += written;
  }
  pending.pacer.OnPassEnd(frames, events);
}

}  // namespace

void PassPacer::OnPassEnd(std::size_t frames, std::size_t events) {
  const double per_frame =
      frames == 0 ? 0 : static_cast<double>(events) / static_cast<double>(frames);
  if (!pass_paced_) {
    if (backlog_per_frame_ >= kBehindEvents) {
      // A probe: one that finds less than a backlog (often nothing but the writes of the
      // pass before to end) ends the pacing at once; one that finds a backlog counts fully.
      backlog_per_frame_ = per_frame;
    } else if (frames > 0) {
      // A pass that only ended writes says nothing about the load.
      backlog_per_frame_ += kSmoothing * (per_frame - backlog_per_frame_);
    }
  }
  if (frames == 0) {
    return;
  }
  if (writing_start_ != Clock::time_point{}) {
    const double seconds = std::chrono::duration<double>(pass_start_ - writing_start_).count();
    if (seconds > 0) {
      events_per_second_ += kSmoothing * (per_frame / seconds - events_per_second_);
    }
  }
  writing_start_ = pass_start_;
}

PassPacer::Clock::time_point PassPacer::NextPassAt() {
  if (backlog_per_frame_ < kBehindEvents || events_per_second_ <= 0) {
    paced_since_probe_ = 0;
    return Clock::time_point{};  // keeping up: at once
  }
  if (++paced_since_probe_ >= kProbeEvery) {
    paced_since_probe_ = 0;
    return Clock::time_point{};  // a probe: is there still a backlog?
  }
  const auto pause = std::min<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(kTargetEvents / events_per_second_)),
      kMaxPause);
  return pass_start_ + pause;
}

void WritePass::Schedule(const boost::asio::any_io_executor& loop,
                         std::shared_ptr<Writer> writer) {
  Pending& pending = ThisLoopsPending();
  pending.writers.push_back(std::move(writer));
  if (pending.scheduled) {
    return;
  }
  pending.scheduled = true;
  const PassPacer::Clock::time_point at = pending.pacer.NextPassAt();
  const bool paced = at != PassPacer::Clock::time_point{};
  if (at <= PassPacer::Clock::now()) {
    boost::asio::post(loop, [paced] { RunPass(paced); });
    return;
  }
  // Only a loop that is behind waits, a few dozen times a second: a timer of its own per
  // wait keeps no timer tied to the loop in this thread's storage.
  auto timer = std::make_shared<boost::asio::steady_timer>(loop, at);
  timer->async_wait([timer](const boost::system::error_code&) { RunPass(/*paced=*/true); });
}

}  // namespace wsbridge
