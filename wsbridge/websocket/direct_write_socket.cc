#include "wsbridge/websocket/direct_write_socket.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace wsbridge {
namespace {

namespace net = boost::asio;

// The loop's buffer for a frame's records while they are handed to the kernel.
std::string& LoopRecordScratch() {
  thread_local std::string records;
  return records;
}

}  // namespace

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

std::string& DirectWriteSocket::PlaintextScratch() {
  thread_local std::string plaintext;
  return plaintext;
}

std::size_t DirectWriteSocket::SendNow(const net::const_buffer* parts, std::size_t count) {
  iovec vectors[2];
  std::size_t used = 0;
  for (std::size_t i = 0; i < count && used < 2; ++i) {
    if (parts[i].size() > 0) {
      vectors[used++] = {const_cast<void*>(parts[i].data()), parts[i].size()};
    }
  }
  msghdr message{};
  message.msg_iov = vectors;
  message.msg_iovlen = used;
  for (;;) {
    const ssize_t result =
        ::sendmsg(next_layer().native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (result >= 0) {
      return static_cast<std::size_t>(result);
    }
    if (errno != EINTR) {
      return 0;  // EAGAIN: no room now; anything else: FinishFrame's write reports it
    }
  }
}

bool DirectWriteSocket::TryWriteFrame(net::const_buffer header, net::const_buffer payload) {
  if (records_) {
    // Header and payload in the same records: a record of its own for a 2-10 byte header
    // would cost 22 bytes more and one more seal and open.
    std::string& plain = PlaintextScratch();
    plain.assign(static_cast<const char*>(header.data()), header.size());
    plain.append(static_cast<const char*>(payload.data()), payload.size());
    return TryWriteSealed(net::buffer(plain));
  }
  const net::const_buffer parts[2] = {header, payload};
  std::size_t sent = SendNow(parts, 2);
  if (sent == header.size() + payload.size()) {
    return true;
  }
  rest_.clear();
  if (sent < header.size()) {
    const net::const_buffer header_rest = header + sent;
    rest_.append(static_cast<const char*>(header_rest.data()), header_rest.size());
    sent = header.size();
  }
  const net::const_buffer payload_rest = payload + (sent - header.size());
  rest_.append(static_cast<const char*>(payload_rest.data()), payload_rest.size());
  return false;
}

bool DirectWriteSocket::TryWriteFrames(net::const_buffer frames) {
  if (records_) {
    return TryWriteSealed(frames);
  }
  const std::size_t sent = SendNow(&frames, 1);
  if (sent == frames.size()) {
    return true;
  }
  const net::const_buffer rest = frames + sent;
  rest_.assign(static_cast<const char*>(rest.data()), rest.size());
  return false;
}

bool DirectWriteSocket::TryWriteSealed(net::const_buffer plaintext) {
  // Records the SSL wrote since the last write (an alert) go first.
  std::string& pending = records_->pending();
  std::string& records = pending.empty() ? LoopRecordScratch() : pending;
  rest_.clear();
  frame_error_ = records_->Seal(plaintext.data(), plaintext.size(), &records);
  if (frame_error_) {
    records.clear();
    return false;
  }
  const net::const_buffer all = net::buffer(records);
  const std::size_t sent = SendNow(&all, 1);
  const bool whole = sent == records.size();
  if (!whole) {
    rest_.assign(records, sent);
  }
  records.clear();
  if (&records == &pending && pending.capacity() > kKeptFlightBytes) {
    std::string().swap(pending);
  }
  return whole;
}

void DirectWriteSocket::TeardownTls(boost::beast::role_type role, boost::system::error_code& ec) {
  records_->Shutdown();
  net::write(next_layer(), net::buffer(records_->pending()), ec);
  std::string().swap(records_->pending());
  boost::beast::websocket::teardown(role, next_layer(), ec);
}

void DirectWriteSocket::StartDeferredStreamWrites() {
  std::vector<std::function<void()>> ready;
  ready.swap(deferred_);
  for (std::function<void()>& start : ready) {
    start();
  }
}

}  // namespace wsbridge
