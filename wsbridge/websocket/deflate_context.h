#pragma once

// A permessage-deflate context: the last bytes one side's inflater produced, which the next
// message takes as zlib's dictionary (FrameDeflater, FrameInflater).

#include <algorithm>
#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace wsbridge {

// Appends `bytes` to `context`, keeping only the last `window` bytes.
inline void AppendWithinWindow(absl::string_view bytes, std::size_t window,
                               std::string* context) {
  if (bytes.size() >= window) {
    context->assign(bytes.data() + bytes.size() - window, window);
    return;
  }
  const std::size_t keep = std::min(context->size(), window - bytes.size());
  context->erase(0, context->size() - keep);
  context->append(bytes.data(), bytes.size());
}

}  // namespace wsbridge
