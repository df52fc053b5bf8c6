#pragma once

// A browser's WebSocket frames (RFC 6455, the server's side), read from bytes as they
// arrive: the session reads its socket into the loop's buffer and hands the bytes here, so
// an idle browser holds no read buffer; only an unfinished frame's header, a message's
// text so far and a control frame's payload are kept.
//
// It checks what Beast's stream checked for the bridge, with the close codes Beast sent:
// 1002 for a frame the protocol forbids (unmasked, reserved bits or opcodes, a control
// frame fragmented or over 125 bytes, a continuation out of place, a length not in its
// shortest form, a bad close frame), 1007 for text that is not UTF-8 (across fragments
// and reads), 1009 for a message over max_message_bytes. Control frames may come between
// a message's fragments. A message over max_kept_bytes, or a binary one, is read and
// thrown away, then reported, so the session can answer it and the connection stays.
// Compressed messages (RSV1, once permessage-deflate was agreed) are inflated.
//
// Not thread-safe: one per browser, on its session's loop.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include "absl/strings/string_view.h"
#include "wsbridge/websocket/frame_inflater.h"

namespace wsbridge {

class FrameReader {
 public:
  struct Limits {
    std::size_t max_kept_bytes = 0;       // a longer message is discarded and reported
    std::uint64_t max_message_bytes = 0;  // a longer one fails the connection with 1009
  };
  // A whole data message.
  struct Message {
    bool binary = false;
    bool oversize = false;    // over max_kept_bytes: its bytes were thrown away
    std::uint64_t bytes = 0;  // its payload's size (inflated)
    absl::string_view text;   // UTF-8, unless binary or oversize; valid until the next Feed
  };
  // What the frames said. The reader keeps no pointer to it.
  class Handler {
   public:
    virtual ~Handler() = default;
    // False stops the reader after this message: Feed keeps the bytes after it, and
    // Resume goes on with them.
    virtual bool OnMessage(const Message& message) = 0;
    virtual void OnPing(absl::string_view payload) = 0;
    virtual void OnPong(absl::string_view payload) = 0;
  };
  enum class Result {
    kMore,     // every byte was taken: read on
    kStopped,  // OnMessage said stop; bytes are held (held_bytes)
    kClosed,   // a valid close frame came (close_code, close_reason); nothing more is read
    kFailed,   // the connection must fail with failure_code; nothing more is read
  };

  // `inflater`: when permessage-deflate was agreed, else null.
  explicit FrameReader(const Limits& limits, std::unique_ptr<FrameInflater> inflater = nullptr);
  FrameReader(const FrameReader&) = delete;  // utf8_ points into itself
  FrameReader& operator=(const FrameReader&) = delete;

  // Once the upgrade agreed to permessage-deflate, before the first Feed.
  void set_inflater(std::unique_ptr<FrameInflater> inflater) { inflater_ = std::move(inflater); }

  // Reads `bytes` (unmasked in place, so they must be writable).
  Result Feed(char* bytes, std::size_t size, Handler& handler);
  // After kStopped: reads the bytes held back.
  Result Resume(Handler& handler);
  std::size_t held_bytes() const { return held_.size(); }

  // After kClosed: the browser's code (0 when its close frame had none, as in Beast's
  // close_reason) and reason.
  std::uint16_t close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  // After kFailed: the close code to send (0: none, the connection is just dropped, as
  // Beast did when inflating failed) and what was wrong, as Beast's error said it.
  std::uint16_t failure_code() const { return failure_code_; }
  boost::beast::error_code failure() const { return failure_; }

 private:
  enum class Opcode : std::uint8_t {
    kContinuation = 0,
    kText = 1,
    kBinary = 2,
    kClose = 8,
    kPing = 9,
    kPong = 10,
  };
  enum class Stage : std::uint8_t { kHeader, kPayload, kDone };

  // Takes header bytes from `bytes`; true once a whole, valid header is read.
  bool ReadHeader(const char*& bytes, const char* end);
  bool CheckHeader();
  // Takes payload bytes of the current frame.
  void ReadPayload(char*& bytes, const char* end);
  void TakeData(absl::string_view data);
  bool TakeInflated(absl::string_view data);
  void EndFrame(Handler& handler, bool* stop);
  void EndControlFrame(Handler& handler);
  void EndMessage(Handler& handler, bool* stop);
  void Fail(std::uint16_t code, boost::beast::error_code what);
  Result Run(char* bytes, std::size_t size, Handler& handler);

  const Limits limits_;
  std::unique_ptr<FrameInflater> inflater_;

  Stage stage_ = Stage::kHeader;
  // The current frame.
  std::array<std::uint8_t, 14> header_{};  // the longest: 2 + 8 length + 4 mask
  std::uint8_t header_size_ = 0;
  Opcode opcode_ = Opcode::kText;
  bool fin_ = false;
  bool rsv1_ = false;
  std::array<std::uint8_t, 4> mask_{};
  std::uint8_t mask_offset_ = 0;
  std::uint64_t remaining_ = 0;  // payload bytes still to come
  // The current message (continuation frames expected until its FIN).
  bool in_message_ = false;
  bool binary_ = false;
  bool compressed_ = false;
  bool oversize_ = false;
  std::uint64_t message_bytes_ = 0;
  std::string text_;     // the message so far, while kept
  std::string control_;  // a control frame's payload so far
  boost::beast::websocket::detail::utf8_checker utf8_;
  // Bytes after a message the handler stopped at.
  std::string held_;

  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  std::uint16_t failure_code_ = 0;
  boost::beast::error_code failure_;
};

}  // namespace wsbridge
