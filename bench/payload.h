#pragma once

// The text of a benchmark message: "#b <sender> <seq> <send time ns>" and optional padding.
// Every receiver recovers the sender, the per-sender sequence number and the send time
// (steady clock of this process) from it, so latency, loss and order need no other state.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace bench {

struct Payload {
  uint32_t sender = 0;
  uint64_t seq = 0;
  int64_t sent_ns = 0;
};

// The marker every benchmark text starts with.
inline constexpr absl::string_view kPayloadMarker = "#b ";

// Formats `payload`, padded with 'x' to at least `min_bytes` (the text roomd sees).
std::string FormatPayload(const Payload& payload, std::size_t min_bytes);

// Parses the start of `text`; nullopt if it is not a benchmark payload.
std::optional<Payload> ParsePayload(absl::string_view text);

}  // namespace bench
