#pragma once

// Browser writes deferred to the end of what an io loop already has queued. A session with
// new frames asks for a pass instead of writing at once; the pass runs after the handlers
// queued before it (other relay reads' wakeups above all) and then writes each session
// once. On an idle loop that is right away; on a busy one, the events of several relay
// reads go out in one WebSocket frame, so the bridge and the browsers spend less per
// message exactly when they have the least time.
// Loop threads only (IoThreads): the list is the calling thread's own.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace wsbridge {

class WritePass {
 public:
  class Writer {
   public:
    virtual ~Writer() = default;
    // Writes what is queued; runs on the loop that scheduled it.
    virtual void WriteQueued() = 0;
  };

  // `loop` is the calling thread's loop; `writer` is called once by the next pass.
  static void Schedule(const boost::asio::any_io_executor& loop, std::shared_ptr<Writer> writer);
};

}  // namespace wsbridge
