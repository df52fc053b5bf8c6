#pragma once

// How a ChatSession reaches its client: its own gRPC Chat stream (ChatStream), or a
// session multiplexed with others on a Relay stream (RelaySession). The session calls
// these with its own lock held, so none of them may call back into the session inline;
// the answers (ChatSession::OnRead, OnWriteDone, OnDone) come later, from another call
// stack.

#include <vector>

#include <grpcpp/support/slice.h>

#include "absl/status/status.h"

namespace roomd {

class SessionTransport {
 public:
  virtual ~SessionTransport() = default;

  // Asks for the client's next event; ChatSession::OnRead answers. One read at a time.
  virtual void RequestRead() = 0;
  // Writes `events` (serialized ServerEvents, none a batch) as one ServerEvent: the event
  // itself, or a batch of them (EncodeWrite). ChatSession::OnWriteDone answers. One write
  // at a time.
  virtual void Write(std::vector<grpc::Slice> events) = 0;
  // Ends the session with `status` once; ChatSession::OnDone follows. With `abort`, the
  // client learns it at once, even if a write is stuck behind flow control.
  virtual void Finish(const absl::Status& status, bool abort) = 0;
};

}  // namespace roomd
