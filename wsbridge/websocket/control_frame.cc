#include "wsbridge/websocket/control_frame.h"

#include <algorithm>

namespace wsbridge {
namespace {

constexpr std::size_t kMaxControlFramePayload = 125;

}  // namespace

void AppendControlFrame(ControlOpcode opcode, absl::string_view payload, std::string* out) {
  payload = payload.substr(0, kMaxControlFramePayload);
  out->push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));  // FIN
  out->push_back(static_cast<char>(payload.size()));  // unmasked, 7-bit length
  out->append(payload.data(), payload.size());
}

void AppendCloseFrame(const boost::beast::websocket::close_reason& reason, std::string* out) {
  std::string payload;
  if (reason.code != boost::beast::websocket::close_code::none) {
    payload.push_back(static_cast<char>(reason.code >> 8));
    payload.push_back(static_cast<char>(reason.code & 0xff));
    payload.append(reason.reason.data(),
                   std::min(reason.reason.size(), kMaxControlFramePayload - 2));
  }
  AppendControlFrame(ControlOpcode::kClose, payload, out);
}

}  // namespace wsbridge
