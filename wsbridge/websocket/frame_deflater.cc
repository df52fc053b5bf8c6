#include "wsbridge/websocket/frame_deflater.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "wsbridge/websocket/deflate_context.h"

namespace wsbridge {
namespace {

// zlib's level 6: on chat events, level 1 left 15% more bytes per delivery at L10 and 50%
// more in F (batch frames) for no less CPU (docs/performance.md).
constexpr int kLevel = 6;
// memLevel 2: a hash table of 512 entries, plenty for a window of 1 KiB.
constexpr int kMemLevel = 2;
// zlib's MIN_LOOKAHEAD (MAX_MATCH + MIN_MATCH + 1): deflate's matches reach back at most
// the window less this.
constexpr std::size_t kZlibLookahead = 258 + 3 + 1;
// The end of a deflate block flushed with Z_SYNC_FLUSH, which RFC 7692 7.2.1 removes.
constexpr absl::string_view kFlushTail("\x00\x00\xff\xff", 4);

// One compressor per loop thread and window size (9 or 10 bits), set up at first use.
class LoopCompressors {
 public:
  LoopCompressors() = default;
  LoopCompressors(const LoopCompressors&) = delete;
  LoopCompressors& operator=(const LoopCompressors&) = delete;
  ~LoopCompressors() {
    for (Slot& slot : slots_) {
      if (slot.ready) {
        deflateEnd(&slot.stream);
      }
    }
  }

  // The loop's compressor for `window_bits`, reset to start a message; null if zlib could
  // not start one.
  z_stream* Fresh(int window_bits) {
    Slot& slot = slots_[window_bits - kMinWindowBits];
    if (!slot.ready) {
      // Negative window bits: a raw deflate stream, without zlib's header and checksum.
      if (deflateInit2(&slot.stream, kLevel, Z_DEFLATED, -window_bits, kMemLevel,
                       Z_DEFAULT_STRATEGY) != Z_OK) {
        return nullptr;
      }
      slot.ready = true;
    } else if (deflateReset(&slot.stream) != Z_OK) {
      return nullptr;
    }
    return &slot.stream;
  }

 private:
  static constexpr int kMinWindowBits = 9;
  struct Slot {
    z_stream stream{};
    bool ready = false;
  };
  std::array<Slot, FrameDeflater::kWindowBits - kMinWindowBits + 1> slots_;
};

z_stream* FreshLoopCompressor(int window_bits) {
  thread_local LoopCompressors compressors;
  return compressors.Fresh(window_bits);
}

}  // namespace

std::optional<DeflateAgreement> ParseDeflateAgreement(absl::string_view extensions) {
  // One extension at most is accepted in a response: "permessage-deflate; a; b=1".
  std::vector<absl::string_view> params = absl::StrSplit(extensions, ';');
  if (params.empty() || absl::StripAsciiWhitespace(params[0]) != "permessage-deflate") {
    return std::nullopt;
  }
  DeflateAgreement agreement;
  for (std::size_t i = 1; i < params.size(); ++i) {
    std::pair<absl::string_view, absl::string_view> param =
        absl::StrSplit(params[i], absl::MaxSplits('=', 1));
    const absl::string_view name = absl::StripAsciiWhitespace(param.first);
    if (name == "server_no_context_takeover") {
      agreement.context_takeover = false;
    } else if (name == "client_no_context_takeover") {
      agreement.client_context_takeover = false;
    } else if (name == "server_max_window_bits" || name == "client_max_window_bits") {
      int bits = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(param.second), &bits) || bits < 8 ||
          bits > 15) {
        return std::nullopt;
      }
      (name == "server_max_window_bits" ? agreement.max_window_bits
                                        : agreement.client_max_window_bits) = bits;
    }
  }
  return agreement;
}

FrameDeflater::FrameDeflater(const DeflateAgreement& agreement)
    // zlib takes 8 for 9 (and Beast never agrees to 8).
    : agreement_(agreement), window_bits_(std::clamp(agreement.max_window_bits, 9, kWindowBits)) {}

void FrameDeflater::Release() { std::string().swap(context_); }

void FrameDeflater::Remember(absl::string_view payload) {
  // zlib's deflate refers back at most the window less its lookahead (MAX_DIST in
  // deflate.h), so older bytes of a dictionary are never used: 762 of 1,024 are kept.
  const std::size_t reach = (std::size_t{1} << window_bits_) - kZlibLookahead;
  if (context_.capacity() < reach) {
    context_.reserve(reach);  // once: the context never grows past it
  }
  AppendWithinWindow(payload, reach, &context_);
}

absl::Status FrameDeflater::Compress(absl::string_view payload, std::string* out) {
  z_stream* stream = FreshLoopCompressor(window_bits_);
  if (stream == nullptr) {
    return absl::ResourceExhaustedError("permessage-deflate: zlib could not start");
  }
  z_stream& z = *stream;
  if (agreement_.context_takeover && !context_.empty() &&
      deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(context_.data()),
                           static_cast<uInt>(context_.size())) != Z_OK) {
    Release();
    return absl::InternalError("permessage-deflate: zlib refused the context");
  }
  // deflateBound covers the data; a sync flush adds an empty stored block (5 bytes), and a
  // little more is room to spare.
  out->resize(deflateBound(&z, static_cast<uLong>(payload.size())) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  const int result = deflate(&z, Z_SYNC_FLUSH);
  if (result != Z_OK || z.avail_in != 0 || z.avail_out == 0) {
    Release();  // a fresh context for the next message
    return absl::InternalError(absl::StrCat("permessage-deflate: deflate failed (", result, ")"));
  }
  out->resize(out->size() - z.avail_out);
  if (!absl::EndsWith(*out, kFlushTail)) {
    Release();
    return absl::InternalError("permessage-deflate: a flushed block did not end as expected");
  }
  out->resize(out->size() - kFlushTail.size());
  if (agreement_.context_takeover) {
    Remember(payload);
  }
  return absl::OkStatus();
}

}  // namespace wsbridge
