#pragma once

// Frames <-> protobuf events through the proto3 JSON mapping (protobuf's own JSON util).
// Stateless and thread-safe; one instance serves the whole process.

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"
#include "common/ring_deque.h"

namespace wsbridge {

// An encoded frame, shared by every queue it sits in and never changed after encoding.
using Frame = std::shared_ptr<const std::string>;

class JsonCodec {
 public:
  // Parses one text frame from a browser. Unknown fields, a second member of the oneof,
  // trailing bytes and an event with no member set are INVALID_ARGUMENT with a one-line
  // message.
  absl::Status ParseClientEvent(absl::string_view text, chat::v1::ClientEvent* event) const;

  // Encodes one event from roomd (a Batch becomes one frame).
  absl::StatusOr<Frame> EncodeServerEvent(const chat::v1::ServerEvent& event) const;

  // Encodes one serialized ServerEvent (as roomd sent it) the same way; INTERNAL if the
  // bytes are not a ServerEvent.
  absl::StatusOr<Frame> EncodeServerEventBytes(absl::string_view bytes) const;

  // `{"error":{"code":"<CODE>","message":"..."}}` for a problem the bridge found itself.
  Frame EncodeError(absl::StatusCode code, absl::string_view message) const;
};

// `{"batch":{"events":[e1,e2,...]}}` built from the first `count` already encoded single
// events: byte for byte what EncodeServerEvent gives for that Batch. WriteBatchFrame
// writes it to `out`, which has room for BatchFrameSize(joined) bytes, `joined` being the
// events' sizes plus a comma between each two; AppendBatchFrame appends it. The frame is
// kBatchFrameHead, the events joined by commas, kBatchFrameTail.
inline constexpr absl::string_view kBatchFrameHead = R"({"batch":{"events":[)";
inline constexpr absl::string_view kBatchFrameTail = "]}}";
std::size_t BatchFrameSize(std::size_t joined_event_bytes);
void WriteBatchFrame(const chat::RingDeque<Frame>& events, std::size_t count, char* out);
void AppendBatchFrame(const chat::RingDeque<Frame>& events, std::size_t count, std::string* out);

}  // namespace wsbridge
