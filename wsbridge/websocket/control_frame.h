#pragma once

// The control frames the bridge sends a browser (RFC 6455 5.5): ping, pong and close,
// unmasked as a server's frames are, final, with at most 125 bytes of payload.

#include <cstdint>
#include <string>

#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/string_view.h"

namespace wsbridge {

enum class ControlOpcode : std::uint8_t { kClose = 0x8, kPing = 0x9, kPong = 0xa };

// Appends one control frame to *out; a longer payload is cut to 125 bytes.
void AppendControlFrame(ControlOpcode opcode, absl::string_view payload, std::string* out);

// Appends a close frame: no payload for code 0 (none), else the code and the reason.
void AppendCloseFrame(const boost::beast::websocket::close_reason& reason, std::string* out);

}  // namespace wsbridge
