#pragma once

// What a RoomdStream reports to the browser session that owns it. Every method is called
// from a gRPC reaction, so implementations only hand the work to their own strand.

#include <grpcpp/support/status.h>

#include "wsbridge/json_codec.h"

namespace wsbridge {

class RoomdStreamObserver {
 public:
  virtual ~RoomdStreamObserver() = default;

  // One event from roomd, already encoded; `welcome` if it is (or its batch holds) Welcome.
  virtual void OnRoomdFrame(Frame frame, bool welcome) = 0;
  // The outbound queue, once reported full, has room again.
  virtual void OnRoomdWritable() = 0;
  // The stream is over; the last call.
  virtual void OnRoomdDone(const grpc::Status& status) = 0;
};

}  // namespace wsbridge
