#pragma once

// One read from roomd (a serialized ServerEvent, maybe a batch) as the JSON frames a
// browser gets: a batch is split by its wire headers, and each broadcast's JSON comes from
// the process-wide cache, so it is encoded once per bridge, not once per browser.

#include <vector>

#include "absl/strings/string_view.h"
#include "wsbridge/codec/encoded_event_cache.h"
#include "wsbridge/codec/json_codec.h"

namespace wsbridge {

struct ServerEventFrames {
  std::vector<Frame> frames;  // one per event, in order
  bool welcome = false;       // one of them is the Welcome
};

ServerEventFrames FramesOfServerEvent(absl::string_view bytes, const JsonCodec& codec,
                                      EncodedEventCache* cache);

}  // namespace wsbridge
