#pragma once

// Turns one WebSocket text frame from wsbridge (a ServerEvent in the proto3 JSON mapping,
// possibly a {"batch":{"events":[...]}}) into Participant calls. Frames that hold only chat
// messages take a fast path that reads just each "text" field; anything else (welcome,
// presence, error, typing) is parsed in full with Boost.JSON.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/participant.h"

namespace bench {

class JsonFrameDecoder {
 public:
  // Decodes `frame` read at `now_ns`; an error if it is not a ServerEvent we understand.
  static absl::Status Decode(absl::string_view frame, int64_t now_ns, Participant* participant);

  // True if `frame` holds an event other than chat messages (exposed for tests).
  static bool NeedsFullParse(absl::string_view frame);
};

}  // namespace bench
