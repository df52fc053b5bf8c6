#pragma once

// Splits one serialized ServerEvent into the events it carries (a Batch's elements, or the
// event itself) by reading protobuf wire headers only, so the bridge never parses a whole
// batch just to re-encode it.

#include <vector>

#include "absl/strings/string_view.h"

namespace wsbridge {

struct EventSlice {
  absl::string_view bytes;  // one complete serialized ServerEvent (points into the input)
  int field = 0;            // the ServerEvent oneof field it sets (0: none or unknown)
};

// Elements of a batch, in order (none for an empty batch); any other event (including
// bytes whose headers do not read as one batch) is one element, left for the full parser.
std::vector<EventSlice> SplitServerEvent(absl::string_view bytes);

// ServerEvent field numbers the bridge tells apart.
inline constexpr int kWelcomeField = 1;
inline constexpr int kMessageField = 2;
inline constexpr int kPresenceField = 3;
inline constexpr int kTypingField = 4;
inline constexpr int kErrorField = 5;
inline constexpr int kBatchField = 6;

}  // namespace wsbridge
