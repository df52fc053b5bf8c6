#pragma once

// permessage-deflate (RFC 7692) for the frames the bridge writes itself.
//
// Beast negotiates the extension with the browser (FrameInflater inflates what the browser
// sends), and the bridge writes its data frames straight to the socket (DirectWriteSocket),
// so it compresses them here, with zlib. With context takeover (what browsers ask for) each
// message is compressed against the last ones: a chat event repeats most of the previous
// one (the room, the sender's user object, the field names), and costs tens of bytes.
//
// Memory: zlib's state for a small window (kWindowBits) is about 10 KB. It is made at the
// first message and given back by Release() (an idle browser); the next message then starts
// a fresh context, which any inflater accepts, because it only ever refers back to bytes
// sent after the reset.
//
// Not thread-safe: one per browser, on its session's loop.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct z_stream_s;

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
  // previous event, small enough that zlib's state stays about 10 KB per browser.
  static constexpr int kWindowBits = 10;

  explicit FrameDeflater(const DeflateAgreement& agreement);
  ~FrameDeflater();
  FrameDeflater(const FrameDeflater&) = delete;
  FrameDeflater& operator=(const FrameDeflater&) = delete;

  // Replaces *out with `payload` compressed as one message's frame payload (the deflate
  // stream flushed to a byte boundary, without its final 00 00 ff ff).
  absl::Status Compress(absl::string_view payload, std::string* out);

  // Gives zlib's state back; the next Compress starts a new context.
  void Release();
  bool holds_state() const { return stream_ != nullptr; }

 private:
  absl::Status Start();

  const DeflateAgreement agreement_;
  const int window_bits_;
  std::unique_ptr<z_stream_s> stream_;
};

}  // namespace wsbridge
