#include "wsbridge/websocket/outbound_queue.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "absl/strings/string_view.h"

namespace wsbridge {

bool OutboundQueue::Push(SharedFrames run, std::size_t limit) {
  const std::size_t frames = run->frames.size();
  if (frames == 0) {
    return true;
  }
  // Frame by frame the queued bytes only grow, so the last frame decides.
  if ((events_ > 0 || frames > 1) && bytes_ + run->bytes > limit) {
    return false;
  }
  events_ += frames;
  bytes_ += run->bytes;
  spans_.push_back(Span{std::move(run), 0});
  return true;
}

const Frame& OutboundQueue::Front() const {
  assert(!spans_.empty());
  const Span& first = spans_.front();
  return first.run->frames[first.next];
}

OutboundQueue::Batch OutboundQueue::PlanBatch(std::size_t max_events,
                                              std::size_t max_bytes) const {
  Batch batch;
  for (std::size_t s = 0; s < spans_.size(); ++s) {
    const Span& span = spans_[s];
    const std::vector<Frame>& frames = span.run->frames;
    for (std::size_t i = span.next; i < frames.size(); ++i) {
      const std::size_t size = frames[i]->size() + (batch.count > 0 ? 1 : 0);
      if (batch.count > 0 && (batch.count >= max_events || batch.joined_bytes + size > max_bytes)) {
        return batch;
      }
      batch.joined_bytes += size;
      ++batch.count;
    }
  }
  return batch;
}

void OutboundQueue::WriteBatch(const Batch& batch, char* out) const {
  const auto put = [&out](absl::string_view bytes) {
    std::memcpy(out, bytes.data(), bytes.size());
    out += bytes.size();
  };
  put(kBatchFrameHead);
  std::size_t left = batch.count;
  for (std::size_t s = 0; left > 0 && s < spans_.size(); ++s) {
    const Span& span = spans_[s];
    const std::vector<Frame>& frames = span.run->frames;
    for (std::size_t i = span.next; left > 0 && i < frames.size(); ++i, --left) {
      if (left != batch.count) {
        *out++ = ',';
      }
      put(*frames[i]);
    }
  }
  put(kBatchFrameTail);
}

void OutboundQueue::Pop(std::size_t count) {
  assert(count <= events_);
  while (count > 0 && !spans_.empty()) {
    Span& first = spans_.front();
    const std::vector<Frame>& frames = first.run->frames;
    const std::size_t take = std::min(count, frames.size() - first.next);
    for (std::size_t i = first.next; i < first.next + take; ++i) {
      bytes_ -= frames[i]->size();
    }
    first.next += take;
    events_ -= take;
    count -= take;
    if (first.next == frames.size()) {
      spans_.pop_front();
    }
  }
}

void OutboundQueue::Clear() {
  spans_.clear();
  events_ = 0;
  bytes_ = 0;
}

}  // namespace wsbridge
