#pragma once

// Turns one ServerEvent from roomd, as the raw bytes of its protobuf encoding (a batch
// included), into Participant calls. It walks the wire format directly instead of parsing
// into messages: no allocation per event, so the load generator stays cheap at millions of
// deliveries per second.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/participant.h"

namespace bench {

class ProtoFrameDecoder {
 public:
  // Decodes the encoded ServerEvent `bytes` read at `now_ns`; an error if malformed.
  static absl::Status Decode(absl::string_view bytes, int64_t now_ns, Participant* participant);
};

}  // namespace bench
