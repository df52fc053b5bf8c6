#include "wsbridge/websocket/frame_reader.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/zlib/error.hpp>

#include "absl/status/status.h"
#include "wsbridge/websocket/close_codes.h"

namespace wsbridge {
namespace {

namespace websocket = boost::beast::websocket;

constexpr std::uint8_t kMaxControlPayload = 125;

// The bytes of a header after its first two: the extended length and the mask.
std::size_t FrameHeaderBytes(std::uint8_t second) {
  const std::uint8_t length = second & 0x7f;
  const std::size_t extended = length == 126 ? 2 : length == 127 ? 8 : 0;
  return 2 + extended + ((second & 0x80) != 0 ? 4 : 0);
}

}  // namespace

FrameReader::FrameReader(const Limits& limits, std::unique_ptr<FrameInflater> inflater)
    : limits_(limits), inflater_(std::move(inflater)) {}

FrameReader::Result FrameReader::Feed(char* bytes, std::size_t size, Handler& handler) {
  if (!held_.empty()) {
    held_.append(bytes, size);  // read while stopped: after what waits already
    return Resume(handler);
  }
  return Run(bytes, size, handler);
}

FrameReader::Result FrameReader::Resume(Handler& handler) {
  std::string held = std::exchange(held_, std::string());
  return Run(held.data(), held.size(), handler);
}

FrameReader::Result FrameReader::Run(char* bytes, std::size_t size, Handler& handler) {
  const char* const end = bytes + size;
  char* next = bytes;
  while (stage_ != Stage::kDone) {
    if (stage_ == Stage::kHeader) {
      const char* from = next;
      const bool whole = ReadHeader(from, end);
      next += from - next;
      if (!whole) {
        if (stage_ == Stage::kDone) {
          break;
        }
        return Result::kMore;
      }
    } else {
      if (remaining_ > 0) {
        if (next == end) {
          return Result::kMore;
        }
        ReadPayload(next, end);
        if (stage_ == Stage::kDone || remaining_ > 0) {
          continue;
        }
      }
      bool stop = false;
      EndFrame(handler, &stop);
      if (stop && stage_ != Stage::kDone) {
        held_.assign(next, static_cast<std::size_t>(end - next));
        return Result::kStopped;
      }
    }
  }
  return failure_ ? Result::kFailed : Result::kClosed;
}

bool FrameReader::ReadHeader(const char*& bytes, const char* end) {
  std::size_t need = header_size_ < 2 ? 2 : FrameHeaderBytes(header_[1]);
  while (header_size_ < need && bytes < end) {
    header_[header_size_++] = static_cast<std::uint8_t>(*bytes++);
    if (header_size_ == 2) {
      need = FrameHeaderBytes(header_[1]);
    }
  }
  if (header_size_ < need) {
    return false;
  }
  header_size_ = 0;
  return CheckHeader();
}

bool FrameReader::CheckHeader() {
  const std::uint8_t first = header_[0];
  const std::uint8_t second = header_[1];
  fin_ = (first & 0x80) != 0;
  rsv1_ = (first & 0x40) != 0;
  const bool rsv23 = (first & 0x30) != 0;
  const std::uint8_t opcode = first & 0x0f;
  switch (opcode) {
    case static_cast<std::uint8_t>(Opcode::kText):
    case static_cast<std::uint8_t>(Opcode::kBinary):
      if (in_message_) {
        Fail(kCloseProtocolError, websocket::error::bad_data_frame);
        return false;
      }
      if (rsv23 || (rsv1_ && inflater_ == nullptr)) {
        Fail(kCloseProtocolError, websocket::error::bad_reserved_bits);
        return false;
      }
      break;
    case static_cast<std::uint8_t>(Opcode::kContinuation):
      if (!in_message_) {
        Fail(kCloseProtocolError, websocket::error::bad_continuation);
        return false;
      }
      if (rsv1_ || rsv23) {
        Fail(kCloseProtocolError, websocket::error::bad_reserved_bits);
        return false;
      }
      break;
    case static_cast<std::uint8_t>(Opcode::kClose):
    case static_cast<std::uint8_t>(Opcode::kPing):
    case static_cast<std::uint8_t>(Opcode::kPong):
      if (!fin_) {
        Fail(kCloseProtocolError, websocket::error::bad_control_fragment);
        return false;
      }
      if ((second & 0x7f) > kMaxControlPayload) {
        Fail(kCloseProtocolError, websocket::error::bad_control_size);
        return false;
      }
      if (rsv1_ || rsv23) {
        Fail(kCloseProtocolError, websocket::error::bad_reserved_bits);
        return false;
      }
      break;
    default:
      Fail(kCloseProtocolError, websocket::error::bad_opcode);
      return false;
  }
  opcode_ = static_cast<Opcode>(opcode);
  if ((second & 0x80) == 0) {
    Fail(kCloseProtocolError, websocket::error::bad_unmasked_frame);
    return false;
  }
  std::size_t at = 2;
  std::uint64_t length = second & 0x7f;
  if (length >= 126) {
    const std::size_t bytes = length == 126 ? 2 : 8;
    length = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      length = (length << 8) | header_[at + i];
    }
    at += bytes;
    if (length < (bytes == 2 ? 126u : 65536u)) {
      Fail(kCloseProtocolError, websocket::error::bad_size);
      return false;
    }
  }
  std::copy_n(header_.begin() + at, mask_.size(), mask_.begin());
  mask_offset_ = 0;
  remaining_ = length;
  stage_ = Stage::kPayload;
  if (opcode_ == Opcode::kClose || opcode_ == Opcode::kPing || opcode_ == Opcode::kPong) {
    control_.clear();
    return true;
  }
  if (opcode_ != Opcode::kContinuation) {
    in_message_ = true;
    binary_ = opcode_ == Opcode::kBinary;
    compressed_ = rsv1_;
    oversize_ = false;
    message_bytes_ = 0;
    utf8_.reset();
  }
  // A compressed message is measured as it inflates.
  if (!compressed_ && (length > std::numeric_limits<std::uint64_t>::max() - message_bytes_ ||
                       message_bytes_ + length > limits_.max_message_bytes)) {
    Fail(kCloseTooBig, websocket::error::message_too_big);
    return false;
  }
  return true;
}

void FrameReader::ReadPayload(char*& bytes, const char* end) {
  const std::size_t size = static_cast<std::size_t>(
      std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(end - bytes)));
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(bytes[i] ^ mask_[(mask_offset_ + i) & 3]);
  }
  mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + size) & 3);
  remaining_ -= size;
  const absl::string_view data(bytes, size);
  bytes += size;
  if (opcode_ == Opcode::kClose || opcode_ == Opcode::kPing || opcode_ == Opcode::kPong) {
    control_.append(data.data(), data.size());
    return;
  }
  TakeData(data);
}

void FrameReader::TakeData(absl::string_view data) {
  if (!compressed_) {
    TakeInflated(data);
    return;
  }
  if (data.empty()) {
    return;
  }
  const absl::Status status =
      inflater_->Inflate(data, /*last=*/false, [this](absl::string_view out) {
        return TakeInflated(out);
      });
  if (!status.ok() && stage_ != Stage::kDone) {
    Fail(0, boost::beast::zlib::error::general);
  }
}

bool FrameReader::TakeInflated(absl::string_view data) {
  if (message_bytes_ + data.size() > limits_.max_message_bytes) {
    Fail(kCloseTooBig, websocket::error::message_too_big);
    return false;
  }
  message_bytes_ += data.size();
  if (!binary_ &&
      !utf8_.write(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())) {
    Fail(kCloseInvalidUtf8, websocket::error::bad_frame_payload);
    return false;
  }
  if (oversize_) {
    return true;
  }
  if (message_bytes_ > limits_.max_kept_bytes) {
    oversize_ = true;  // read on and thrown away, so memory stays bounded
    std::string().swap(text_);
    return true;
  }
  if (!binary_) {
    text_.append(data.data(), data.size());
  }
  return true;
}

void FrameReader::EndFrame(Handler& handler, bool* stop) {
  stage_ = Stage::kHeader;
  if (opcode_ == Opcode::kClose || opcode_ == Opcode::kPing || opcode_ == Opcode::kPong) {
    EndControlFrame(handler);
    return;
  }
  if (!fin_) {
    return;
  }
  if (compressed_) {
    const absl::Status status =
        inflater_->Inflate({}, /*last=*/true, [this](absl::string_view out) {
          return TakeInflated(out);
        });
    if (!status.ok()) {
      if (stage_ != Stage::kDone) {
        Fail(0, boost::beast::zlib::error::general);
      }
      return;
    }
  }
  if (!binary_ && !utf8_.finish()) {
    Fail(kCloseInvalidUtf8, websocket::error::bad_frame_payload);
    return;
  }
  EndMessage(handler, stop);
}

void FrameReader::EndControlFrame(Handler& handler) {
  const std::string payload = std::exchange(control_, std::string());
  switch (opcode_) {
    case Opcode::kPing:
      handler.OnPing(payload);
      return;
    case Opcode::kPong:
      handler.OnPong(payload);
      return;
    case Opcode::kClose: {
      // Beast's own check of a close frame: its size, code and UTF-8 reason.
      websocket::close_reason reason;
      boost::beast::error_code ec;
      websocket::detail::read_close(reason, boost::asio::buffer(payload), ec);
      if (ec) {
        Fail(kCloseProtocolError, ec);
        return;
      }
      close_code_ = reason.code;
      close_reason_.assign(reason.reason.data(), reason.reason.size());
      stage_ = Stage::kDone;
      return;
    }
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
      return;
  }
}

void FrameReader::EndMessage(Handler& handler, bool* stop) {
  in_message_ = false;
  Message message;
  message.binary = binary_;
  message.oversize = oversize_;
  message.bytes = message_bytes_;
  if (!binary_ && !oversize_) {
    message.text = text_;
  }
  *stop = !handler.OnMessage(message);
  std::string().swap(text_);  // an idle browser keeps no buffer
  message_bytes_ = 0;
  oversize_ = false;
}

void FrameReader::Fail(std::uint16_t code, boost::beast::error_code what) {
  failure_code_ = code;
  failure_ = what;
  stage_ = Stage::kDone;
  std::string().swap(text_);
  std::string().swap(control_);
}

}  // namespace wsbridge
