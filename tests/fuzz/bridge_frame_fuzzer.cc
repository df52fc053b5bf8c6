// Fuzzes what the bridge does with one text frame from a browser: UTF-8 check, then
// JSON -> ClientEvent. Either the frame becomes an event with exactly one member set, or
// it gets an INVALID_ARGUMENT whose message can be sent back (valid UTF-8, bounded).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"
#include "common/utf8.h"
#include "wsbridge/codec/json_codec.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const wsbridge::JsonCodec* const codec = new wsbridge::JsonCodec();
  const absl::string_view frame(reinterpret_cast<const char*>(data), size);

  // The bridge closes 1007 on invalid UTF-8 before parsing; SanitizeUtf8 makes close reasons.
  const std::string reason = chat::SanitizeUtf8(frame, 123);
  Check(reason.size() <= 123);
  Check(chat::IsValidUtf8(reason));
  if (!chat::IsValidUtf8(frame)) {
    return 0;
  }

  chat::v1::ClientEvent event;
  const absl::Status status = codec->ParseClientEvent(frame, &event);
  if (!status.ok()) {
    Check(status.code() == absl::StatusCode::kInvalidArgument);
    Check(!status.message().empty());
    // The message goes back to the browser in an Error frame: it must encode.
    const wsbridge::Frame error = codec->EncodeError(status.code(), status.message());
    Check(error != nullptr && !error->empty());
    return 0;
  }
  Check(event.event_case() != chat::v1::ClientEvent::EVENT_NOT_SET);
  // What reaches roomd must survive the wire: serialize and parse back unchanged.
  std::string wire;
  Check(event.SerializeToString(&wire));
  chat::v1::ClientEvent again;
  Check(again.ParseFromString(wire));
  Check(again.SerializeAsString() == wire);
  return 0;
}
