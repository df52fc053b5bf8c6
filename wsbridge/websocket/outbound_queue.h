#pragma once

// A browser's frames waiting to be written, bounded in bytes. It holds whole runs of
// frames (each relay read's frames, shared with every other browser that read brought
// them to) and a cursor into the first: a delivery costs no reference count and no queue
// entry of its own, only its run does, once per browser.
// Not thread-safe: one browser's loop owns it.

#include <cstddef>

#include "common/ring_deque.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/codec/server_event_frames.h"

namespace wsbridge {

class OutboundQueue {
 public:
  // The first events that go out as one frame.
  struct Batch {
    std::size_t count = 0;         // events, at least 1 when the queue has any
    std::size_t joined_bytes = 0;  // their sizes plus a comma between each two
  };

  // Appends every frame of `run`. False, and nothing appended, if the queue would then hold
  // more than `limit` bytes with more than one frame in it: one frame always fits (a large
  // Welcome must not doom its reader), a backlog may not. The same rule, frame by frame,
  // as a queue of single frames.
  bool Push(SharedFrames run, std::size_t limit);

  bool empty() const { return events_ == 0; }
  std::size_t events() const { return events_; }
  std::size_t bytes() const { return bytes_; }

  // The first event.
  const Frame& Front() const;
  // How many of the first events fit one batch: at most `max_events`, and their joined
  // bytes at most `max_bytes` (the first event always counts, whatever its size).
  Batch PlanBatch(std::size_t max_events, std::size_t max_bytes) const;
  // Writes the first `batch.count` events as one batch frame (BatchFrameSize bytes of
  // batch.joined_bytes) to `out`.
  void WriteBatch(const Batch& batch, char* out) const;
  // Drops the first `count` events (at most events()).
  void Pop(std::size_t count);
  void Clear();

 private:
  struct Span {
    SharedFrames run;
    std::size_t next = 0;  // the run's first frame still queued
  };

  chat::RingDeque<Span> spans_;  // owns nothing while empty (most browsers, most of the time)
  std::size_t events_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace wsbridge
