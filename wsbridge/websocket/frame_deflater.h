#pragma once

// permessage-deflate (RFC 7692) for the frames the bridge writes itself.
//
// Beast negotiates the extension with the browser (FrameInflater inflates what the browser
// sends), and the bridge writes its data frames straight to the socket (DirectWriteSocket),
// so it compresses them here, with zlib. With context takeover (what browsers ask for) each
// message is compressed against the last ones: a chat event repeats most of the previous
// one (the room, the sender's user object, the field names), and costs tens of bytes.
//
// Memory: zlib's state (about 10 KB for the small window) is one per loop thread, shared
// by the loop's browsers, because each frame is compressed in one call. What a browser
// keeps is its context: the last bytes its inflater produced (as far back as deflate can
// refer in the window, 762 bytes of 1 KiB), which the next message takes as zlib's
// dictionary, so it refers back as a compressor kept for that browser alone would.
// Release() forgets it (an idle browser); the next message then starts afresh, which any
// inflater accepts.
//
// Not thread-safe: one per browser, on its session's loop.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wsbridge {

// What the upgrade response agreed to (Beast wrote it into Sec-WebSocket-Extensions).
struct DeflateAgreement {
  // The server keeps its LZ77 window between messages (no server_no_context_takeover).
  bool context_takeover = true;
  // The largest window the server may use (server_max_window_bits, else 15).
  int max_window_bits = 15;
  // The browser's side, for inflating what it sends: whether it keeps its window between
  // messages (no client_no_context_takeover), and that window (client_max_window_bits).
  bool client_context_takeover = true;
  int client_max_window_bits = 15;
};

// The agreement in a Sec-WebSocket-Extensions response value, or nullopt when it does not
// accept permessage-deflate.
std::optional<DeflateAgreement> ParseDeflateAgreement(absl::string_view extensions);

class FrameDeflater {
 public:
  // The window the bridge compresses with (2^10 = 1 KiB): enough to reach back into the
  // previous event (deflate reaches back 762 bytes in it).
  static constexpr int kWindowBits = 10;

  explicit FrameDeflater(const DeflateAgreement& agreement);
  ~FrameDeflater() = default;
  FrameDeflater(const FrameDeflater&) = delete;
  FrameDeflater& operator=(const FrameDeflater&) = delete;

  // Replaces *out with `payload` compressed as one message's frame payload (the deflate
  // stream flushed to a byte boundary, without its final 00 00 ff ff).
  absl::Status Compress(absl::string_view payload, std::string* out);

  // Forgets the context; the next Compress starts afresh.
  void Release();
  bool holds_state() const { return !context_.empty(); }
  std::size_t context_bytes() const { return context_.size(); }

 private:
  // Appends a compressed message's plain bytes to the context, keeping what deflate can reach.
  void Remember(absl::string_view payload);

  const DeflateAgreement agreement_;
  const int window_bits_;
  std::string context_;
};

}  // namespace wsbridge
