#include "wsbridge/websocket/direct_write_socket.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace wsbridge {

TextFrameHeader::TextFrameHeader(std::size_t payload_bytes, bool compressed) {
  constexpr std::uint8_t kFinText = 0x81;  // FIN, opcode 1 (text); server frames are unmasked
  constexpr std::uint8_t kRsv1 = 0x40;     // permessage-deflate: the payload is compressed
  bytes_[0] = compressed ? kFinText | kRsv1 : kFinText;
  if (payload_bytes < 126) {
    bytes_[1] = static_cast<std::uint8_t>(payload_bytes);
    size_ = 2;
  } else if (payload_bytes <= 0xffff) {
    bytes_[1] = 126;
    bytes_[2] = static_cast<std::uint8_t>(payload_bytes >> 8);
    bytes_[3] = static_cast<std::uint8_t>(payload_bytes);
    size_ = 4;
  } else {
    bytes_[1] = 127;
    for (int i = 0; i < 8; ++i) {  // network byte order
      bytes_[2 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(payload_bytes) >>
                                                (8 * (7 - i)));
    }
    size_ = 10;
  }
}

bool DirectWriteSocket::TryWriteFrame(boost::asio::const_buffer header,
                                      boost::asio::const_buffer payload) {
  iovec parts[2] = {
      {const_cast<void*>(header.data()), header.size()},
      {const_cast<void*>(payload.data()), payload.size()},
  };
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = payload.size() > 0 ? 2 : 1;
  std::size_t sent = 0;
  for (;;) {
    const ssize_t result =
        ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (result >= 0) {
      sent = static_cast<std::size_t>(result);
      break;
    }
    if (errno != EINTR) {
      break;  // EAGAIN: no room now; anything else: FinishFrame's write reports it
    }
  }
  if (sent == header.size() + payload.size()) {
    return true;
  }
  rest_.clear();
  if (sent < header.size()) {
    const boost::asio::const_buffer header_rest = header + sent;
    rest_.append(static_cast<const char*>(header_rest.data()), header_rest.size());
    sent = header.size();
  }
  const boost::asio::const_buffer payload_rest = payload + (sent - header.size());
  rest_.append(static_cast<const char*>(payload_rest.data()), payload_rest.size());
  return false;
}

void DirectWriteSocket::StartDeferredStreamWrites() {
  std::vector<std::function<void()>> ready;
  ready.swap(deferred_);
  for (std::function<void()>& start : ready) {
    start();
  }
}

}  // namespace wsbridge
