#pragma once

// The frame of one event on a room's Redis channel: "<order> <node> <conn>\n" followed by a
// serialized chat.v1.ServerEvent. `order` places the event in the room's order (0: unordered,
// e.g. typing); `node` and `conn` name the connection that caused it (conn 0: none).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace roomd {

struct BrokerEnvelope {
  uint64_t order = 0;
  std::string node;
  uint64_t conn = 0;
  std::string event;  // a serialized chat.v1.ServerEvent
};

std::string EncodeEnvelope(uint64_t order, absl::string_view node, uint64_t conn,
                           absl::string_view event);

// INVALID_ARGUMENT for a frame that is not one of ours.
absl::StatusOr<BrokerEnvelope> DecodeEnvelope(absl::string_view frame);

}  // namespace roomd
