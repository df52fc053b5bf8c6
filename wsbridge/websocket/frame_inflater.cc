#include "wsbridge/websocket/frame_inflater.h"

#include <zlib.h>

#include <array>

#include "absl/strings/str_cat.h"
#include "wsbridge/websocket/deflate_context.h"

namespace wsbridge {
namespace {

// What RFC 7692 7.2.2 has the receiver append to a message before inflating it.
constexpr absl::string_view kInflateFlushTail("\x00\x00\xff\xff", 4);
// Inflated bytes are handed on in pieces of this size.
constexpr std::size_t kInflateChunkBytes = 4096;

}  // namespace

FrameInflater::FrameInflater(int window_bits, bool context_takeover)
    : window_bits_(window_bits), context_takeover_(context_takeover) {}

FrameInflater::~FrameInflater() { Release(); }

void FrameInflater::Release() {
  if (stream_ != nullptr) {
    inflateEnd(stream_.get());
    stream_.reset();
  }
}

absl::Status FrameInflater::Start() {
  auto stream = std::make_unique<z_stream>();
  // Negative window bits: a raw deflate stream, without zlib's header and checksum.
  if (inflateInit2(stream.get(), -window_bits_) != Z_OK) {
    return absl::ResourceExhaustedError("permessage-deflate: zlib could not start");
  }
  if (context_takeover_ && !context_.empty() &&
      inflateSetDictionary(stream.get(), reinterpret_cast<const Bytef*>(context_.data()),
                           static_cast<uInt>(context_.size())) != Z_OK) {
    inflateEnd(stream.get());
    return absl::InternalError("permessage-deflate: zlib refused the context");
  }
  stream_ = std::move(stream);
  return absl::OkStatus();
}

void FrameInflater::Remember(absl::string_view inflated) {
  AppendWithinWindow(inflated, std::size_t{1} << window_bits_, &context_);
}

absl::Status FrameInflater::Inflate(absl::string_view compressed, bool last,
                                    absl::FunctionRef<bool(absl::string_view)> sink) {
  if (stream_ == nullptr) {
    if (absl::Status started = Start(); !started.ok()) {
      return started;
    }
  }
  auto remembering_sink = [&](absl::string_view inflated) {
    if (context_takeover_) {
      Remember(inflated);
    }
    return sink(inflated);
  };
  absl::Status status = Run(compressed, remembering_sink);
  if (status.ok() && last) {
    status = Run(kInflateFlushTail, remembering_sink);
  }
  if (!status.ok()) {
    std::string().swap(context_);  // a failed connection has no next message
  }
  if (!status.ok() || last) {
    Release();  // the context, if kept, carries the window to the next message
  }
  return status;
}

absl::Status FrameInflater::Run(absl::string_view input,
                                absl::FunctionRef<bool(absl::string_view)> sink) {
  z_stream& z = *stream_;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  std::array<char, kInflateChunkBytes> chunk;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    const int result = inflate(&z, Z_SYNC_FLUSH);
    const std::size_t produced = chunk.size() - z.avail_out;
    if (result != Z_OK && result != Z_BUF_ERROR) {
      // Z_STREAM_END too: a final block ends the context, which RFC 7692 does not allow.
      return absl::InvalidArgumentError(
          absl::StrCat("permessage-deflate: inflate failed (", result, ")"));
    }
    if (produced > 0 && !sink(absl::string_view(chunk.data(), produced))) {
      return absl::ResourceExhaustedError("permessage-deflate: message over its limit");
    }
    // Done once all input is taken and zlib had room to spare (nothing more is pending).
    if (z.avail_in == 0 && z.avail_out > 0) {
      return absl::OkStatus();
    }
    if (result == Z_BUF_ERROR && produced == 0) {
      return absl::OkStatus();  // no progress possible: all input is consumed
    }
  }
}

}  // namespace wsbridge
