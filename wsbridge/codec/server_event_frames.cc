#include "wsbridge/codec/server_event_frames.h"

#include <utility>

#include "wsbridge/codec/event_splitter.h"

namespace wsbridge {
namespace {

Frame EncodeElement(absl::string_view bytes, int field, const JsonCodec& codec,
                    EncodedEventCache* cache) {
  absl::StatusOr<Frame> frame;
  if (field == kMessageField || field == kPresenceField || field == kTypingField) {
    // Broadcasts: every browser in the room gets these very bytes.
    frame = cache->GetOrEncode(bytes, [&] { return codec.EncodeServerEventBytes(bytes); });
  } else {
    frame = codec.EncodeServerEventBytes(bytes);  // private (welcome, error) or unknown
  }
  if (!frame.ok()) {
    return codec.EncodeError(frame.status().code(), frame.status().message());
  }
  return *std::move(frame);
}

}  // namespace

SharedFrames FramesOfServerEvent(absl::string_view bytes, const JsonCodec& codec,
                                 EncodedEventCache* cache) {
  auto result = std::make_shared<ServerEventFrames>();
  const std::vector<EventSlice> slices = SplitServerEvent(bytes);
  result->frames.reserve(slices.size());
  for (const EventSlice& slice : slices) {
    result->welcome = result->welcome || slice.field == kWelcomeField;
    result->frames.push_back(EncodeElement(slice.bytes, slice.field, codec, cache));
    result->bytes += result->frames.back()->size();
  }
  return result;
}

SharedFrames SingleFrame(Frame frame) {
  auto result = std::make_shared<ServerEventFrames>();
  result->bytes = frame->size();
  result->frames.push_back(std::move(frame));
  return result;
}

}  // namespace wsbridge
