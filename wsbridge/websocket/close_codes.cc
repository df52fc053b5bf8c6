#include "wsbridge/websocket/close_codes.h"

#include <string>

#include "common/utf8.h"

namespace wsbridge {
namespace {

// RFC 6455 5.5: a control frame carries at most 125 bytes, 2 of which are the code.
constexpr std::size_t kMaxReasonBytes = 123;

}  // namespace

std::uint16_t CloseCodeForStatus(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  if (value < 0 || value > 16) {
    return kCloseRoomdBase + static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  return static_cast<std::uint16_t>(kCloseRoomdBase + value);
}

boost::beast::websocket::close_reason MakeCloseReason(std::uint16_t code,
                                                      absl::string_view reason) {
  const std::string text = chat::SanitizeUtf8(reason, kMaxReasonBytes);
  return boost::beast::websocket::close_reason(
      static_cast<boost::beast::websocket::close_code>(code),
      boost::beast::string_view(text.data(), text.size()));
}

}  // namespace wsbridge
