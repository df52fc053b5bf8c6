// Fuzzes the bridge's reader of browser frames: any bytes, fed in pieces of any size, with
// or without permessage-deflate. Nothing may crash or grow without bound, every text
// message handed on is valid UTF-8 within the kept limit, and once the reader has ended
// (a close frame, or a failure with a close code RFC 6455 allows) it stays ended.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/utf8.h"
#include "wsbridge/websocket/frame_inflater.h"
#include "wsbridge/websocket/frame_reader.h"

namespace {

constexpr std::size_t kKept = 512;
constexpr std::uint64_t kMaxMessage = 4096;

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

struct Checker : wsbridge::FrameReader::Handler {
  bool OnMessage(const wsbridge::FrameReader::Message& message) override {
    Check(message.bytes <= kMaxMessage);
    if (!message.binary && !message.oversize) {
      Check(message.text.size() == message.bytes && message.bytes <= kKept);
      Check(chat::IsValidUtf8(message.text));
    }
    return ++messages % 3 != 0;  // stop now and then, as a full roomd queue does
  }
  void OnPing(absl::string_view payload) override { Check(payload.size() <= 125); }
  void OnPong(absl::string_view payload) override { Check(payload.size() <= 125); }
  int messages = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::uint8_t flags = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  wsbridge::FrameReader reader(
      {.max_kept_bytes = kKept, .max_message_bytes = kMaxMessage},
      (flags & 1) != 0 ? std::make_unique<wsbridge::FrameInflater>(9 + (flags >> 5) % 7, true)
                       : nullptr);
  Checker checker;
  const std::size_t piece = 1 + ((flags >> 1) & 0x0f) * 7;
  using Result = wsbridge::FrameReader::Result;
  Result result = Result::kMore;
  for (std::size_t at = 0; at < bytes.size() && result != Result::kClosed &&
                           result != Result::kFailed;
       at += piece) {
    const std::size_t take = std::min(piece, bytes.size() - at);
    result = reader.Feed(bytes.data() + at, take, checker);
    while (result == Result::kStopped) {
      Check(reader.held_bytes() <= bytes.size());
      result = reader.Resume(checker);
    }
  }
  if (result == Result::kFailed) {
    const std::uint16_t code = reader.failure_code();
    Check(code == 0 || code == 1002 || code == 1007 || code == 1009);
    char more[] = {'\x81', '\x80', 0, 0, 0, 0};
    Check(reader.Feed(more, sizeof(more), checker) == Result::kFailed);
  }
  if (result == Result::kClosed) {
    char more[] = {'\x81', '\x80', 0, 0, 0, 0};
    Check(reader.Feed(more, sizeof(more), checker) == Result::kClosed);
  }
  return 0;
}
