#pragma once

// How a ChatSession reaches its client: its own gRPC Chat stream (ChatStream), or a
// session multiplexed with others on a Relay stream (RelaySession). The session calls
// these with its own lock held, so none of them may call back into the session inline;
// the answers (ChatSession::OnRead, OnWriteDone, OnDone) come later, from another call
// stack.

#include <memory>
#include <vector>

#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "roomd/core/room.h"
#include "roomd/core/roomd_metrics.h"

namespace roomd {

class SessionTransport {
 public:
  virtual ~SessionTransport() = default;

  // Asks for the client's next event; ChatSession::OnRead answers. One read at a time.
  virtual void RequestRead() = 0;
  // Writes `events` (serialized ServerEvents, none a batch) as one ServerEvent: the event
  // itself, or a batch of them (EncodeWrite). ChatSession::OnWriteDone answers. One write
  // at a time. `more`: the session has the next write ready (the rest of a pass), so the
  // transport may hold this one back to go out with it; the last write of a pass never
  // sets it, and that write flushes what was held.
  virtual void Write(std::vector<grpc::Slice> events, bool more) = 0;
  // Whether every write may be a batch whatever the client asked (Join.accept_batches): a
  // Relay's sessions always may (the bridge unpacks them), a Chat stream only if asked.
  virtual bool AlwaysBatches() const = 0;
  // Ends the session with `status` once; ChatSession::OnDone follows. With `abort`, the
  // client learns it at once, even if a write is stuck behind flow control.
  virtual void Finish(const absl::Status& status, bool abort) = 0;
  // The feed the session reads `room` through (Room::Join), if its transport shares one
  // with other sessions (a Relay does); none by default: the session collects itself.
  virtual Room::FeedKey FeedFor(const std::shared_ptr<Room>& /*room*/) { return {}; }
  // What carries the session, for the metrics.
  virtual ConnectionKind kind() const { return ConnectionKind::kChatStream; }
};

}  // namespace roomd
