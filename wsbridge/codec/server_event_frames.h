#pragma once

// One read from roomd (a serialized ServerEvent, maybe a batch) as the JSON frames a
// browser gets: a batch is split by its wire headers, and each broadcast's JSON comes from
// the process-wide cache, so it is encoded once per bridge, not once per browser.
//
// The frames of one read are immutable once decoded and shared whole: a relay item that
// goes to a thousand browsers is one ServerEventFrames, and each browser holds it by one
// reference, not one per frame.

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "wsbridge/codec/encoded_event_cache.h"
#include "wsbridge/codec/json_codec.h"

namespace wsbridge {

struct ServerEventFrames {
  std::vector<Frame> frames;  // one per event, in order
  std::size_t bytes = 0;      // the frames' sizes added up
  bool welcome = false;       // one of them is the Welcome
};
using SharedFrames = std::shared_ptr<const ServerEventFrames>;

SharedFrames FramesOfServerEvent(absl::string_view bytes, const JsonCodec& codec,
                                 EncodedEventCache* cache);

// One frame of the bridge's own (an error it answers) as a run of its own.
SharedFrames SingleFrame(Frame frame);

}  // namespace wsbridge
