#pragma once

// WebSocket close codes the bridge sends, and a safe builder for close frames.
// docs/protocol.md lists them; keep the two in step.

#include <cstdint>

#include <boost/beast/websocket/rfc6455.hpp>
#include <grpcpp/support/status.h>

#include "absl/strings/string_view.h"

namespace wsbridge {

// The bridge is shutting down (SIGINT/SIGTERM).
inline constexpr std::uint16_t kCloseGoingAway = 1001;
// Sent by the frame reader: a frame the protocol forbids (unmasked, reserved bits, ...).
inline constexpr std::uint16_t kCloseProtocolError = 1002;
// Sent by the frame reader: a text frame that is not UTF-8 (RFC 6455 requires the close).
inline constexpr std::uint16_t kCloseInvalidUtf8 = 1007;
// Sent by the frame reader: a frame too large even to read and discard.
inline constexpr std::uint16_t kCloseTooBig = 1009;
// roomd ended the Chat stream: 4000 + its gRPC status code (4000 = OK ... 4016).
inline constexpr std::uint16_t kCloseRoomdBase = 4000;
// The bridge's own reasons reuse the gRPC code that fits, in the same range:
// no Welcome from roomd within --join_timeout (DEADLINE_EXCEEDED).
inline constexpr std::uint16_t kCloseJoinTimeout = kCloseRoomdBase + 4;
// The browser did not read its frames fast enough (RESOURCE_EXHAUSTED).
inline constexpr std::uint16_t kCloseSlowConsumer = kCloseRoomdBase + 8;

// The close code for a stream roomd ended with `code`.
std::uint16_t CloseCodeForStatus(grpc::StatusCode code);

// A close frame whose reason is valid UTF-8 and at most 123 bytes, as RFC 6455 demands:
// invalid bytes become '?', and the text is cut on a character boundary.
boost::beast::websocket::close_reason MakeCloseReason(std::uint16_t code,
                                                      absl::string_view reason);

}  // namespace wsbridge
