#pragma once

// permessage-deflate (RFC 7692) for the frames a browser sends: inflates each compressed
// message, chunk by chunk as its frames arrive, with the window the upgrade agreed to.
// zlib's state (about 7 KB and the window) lives only while a message is being inflated.
// Between messages a browser that keeps its context (no client_no_context_takeover) holds
// only the last bytes it sent, at most the window, which the next message takes as zlib's
// dictionary: most browsers send a message now and then, and an idle one holds little.
//
// Not thread-safe: one per browser, on its session's loop.

#include <cstddef>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

struct z_stream_s;

namespace wsbridge {

class FrameInflater {
 public:
  // `window_bits`: the client_max_window_bits agreed (15 when none was).
  FrameInflater(int window_bits, bool context_takeover);
  ~FrameInflater();
  FrameInflater(const FrameInflater&) = delete;
  FrameInflater& operator=(const FrameInflater&) = delete;

  // Inflates `compressed`, the next part of one message's payload, handing what it yields
  // to `sink` a few KB at a time (so a small message that inflates to a lot never sits in
  // memory whole); `sink` returns false to stop (the message is over its limit: the
  // inflater is then given back). `last`: the message's final part (the flush RFC 7692
  // strips is put back). An error for data zlib refuses, or when `sink` stopped.
  absl::Status Inflate(absl::string_view compressed, bool last,
                       absl::FunctionRef<bool(absl::string_view)> sink);

  // Whether zlib's state is held (a message is part way through).
  bool holds_state() const { return stream_ != nullptr; }
  std::size_t context_bytes() const { return context_.size(); }

 private:
  absl::Status Start();
  absl::Status Run(absl::string_view input, absl::FunctionRef<bool(absl::string_view)> sink);
  // Appends inflated bytes to the context, keeping the window's worth.
  void Remember(absl::string_view inflated);
  void Release();

  const int window_bits_;
  const bool context_takeover_;
  std::unique_ptr<z_stream_s> stream_;
  std::string context_;
};

}  // namespace wsbridge
