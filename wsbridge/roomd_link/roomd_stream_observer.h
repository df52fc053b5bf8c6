#pragma once

// What a RoomdStream reports to the browser session that owns it. Every method is called
// from a gRPC reaction, so implementations only hand the work to their own strand.

#include <vector>

#include <grpcpp/support/status.h>

#include "wsbridge/codec/server_event_frames.h"
#include "wsbridge/wake_batch.h"

namespace wsbridge {

class RoomdStreamObserver {
 public:
  virtual ~RoomdStreamObserver() = default;

  // One read from roomd: its events in order, each encoded alone (a batch is split), never
  // none; shared with the other sessions the read went to. The observer's wakeup goes into
  // `wakes` when there is one (the reader posts it with the other sessions'), else it posts
  // it itself.
  virtual void OnRoomdEvents(SharedFrames events, WakeBatch* wakes) = 0;
  // The outbound queue, once reported full, has room again.
  virtual void OnRoomdWritable() = 0;
  // The stream is over; the last call.
  virtual void OnRoomdDone(const grpc::Status& status) = 0;
};

}  // namespace wsbridge
