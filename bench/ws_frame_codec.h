#pragma once

// The client's side of WebSocket (RFC 6455) as chat_bench needs it, without Beast's stream:
// the upgrade request and the check of its response, server frames parsed in place in the
// receive buffer, and masked client frames. The load generator shares the CPUs with the
// servers it measures, so each frame it reads must cost little: Beast's read path (a
// composed operation per frame, UTF-8 validation of every payload) was a quarter of its
// CPU at 100 k frames/s. The page and the browser tests keep checking the protocol in full.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bench {

enum class WsOpcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

struct WsFrame {
  WsOpcode opcode = WsOpcode::kText;
  bool fin = true;
  bool compressed = false;    // RSV1: a permessage-deflate message's first frame
  absl::string_view payload;  // points into the parsed buffer
};

// The largest header a server frame can have (2 bytes + a 64-bit length).
inline constexpr std::size_t kMaxServerFrameHeader = 10;

// Parses the frame at the start of `data` into `frame` and sets `*size` to the bytes it
// takes, or to 0 if `data` does not hold all of it yet. An error for what a server must
// not send: a masked frame, reserved bits (RSV1 only on a data frame, once
// permessage-deflate is agreed: `deflate`), unknown opcodes, a fragmented or long control
// frame, or a payload over `max_payload`.
absl::Status ParseServerFrame(absl::string_view data, uint64_t max_payload, WsFrame* frame,
                              std::size_t* size, bool deflate = false);

// Appends one final client frame, masked with `mask` as clients must (RFC 6455 §5.3).
void AppendClientFrame(WsOpcode opcode, absl::string_view payload, uint32_t mask,
                       std::string* out);

// A close frame's payload: its status code and UTF-8 reason.
std::string ClosePayload(uint16_t code, absl::string_view reason);
// "1000 bye" from a close frame's payload ("1005" when it has no code, as RFC 6455 says).
std::string DescribeClose(absl::string_view payload);

// The upgrade request for `target` on `host`, with the client's `key` (base64 of 16 bytes);
// with `offer_deflate`, offering permessage-deflate as browsers do.
std::string UpgradeRequest(absl::string_view host, absl::string_view target,
                           absl::string_view key, bool offer_deflate = false);

// The size of the response head in `data`, up to and including its blank line; 0 while
// `data` does not hold all of it.
std::size_t ResponseHeadSize(absl::string_view data);
// OK if `head` accepts the upgrade: status 101 with "Upgrade: websocket". (The accept hash
// is not checked: the tool talks to a bridge it was pointed at, and a wrong peer fails at
// the first frame anyway.)
absl::Status CheckUpgradeResponse(absl::string_view head);
// True if the response head agrees to permessage-deflate.
bool AgreesToDeflate(absl::string_view head);

}  // namespace bench
