#pragma once

// A browser's session with roomd, as the browser's WebSocketSession sees it: a Chat call of
// its own (RoomdChatStream) or one session on a shared Relay call (RoomdRelay). Results
// reach the session's RoomdStreamObserver.

#include "chat/v1/chat.pb.h"

namespace wsbridge {

class RoomdStream {
 public:
  enum class WriteResult {
    kQueued,     // accepted
    kQueueFull,  // accepted, and the queue is now full: write no more until OnRoomdWritable
    kClosed,     // dropped: writes are closed or the session is over (OnRoomdDone tells why)
    kTooLarge,   // dropped: the event is over the size one relay item may have
  };

  virtual ~RoomdStream() = default;

  // Any thread. Queues one event, in order.
  virtual WriteResult Write(chat::v1::ClientEvent event) = 0;
  // Any thread. Sends what is queued, then ends the client side, so roomd ends the session.
  virtual void CloseWrites() = 0;
  // Any thread. Ends the session now; roomd sees the participant leave.
  virtual void Cancel() = 0;
};

}  // namespace wsbridge
