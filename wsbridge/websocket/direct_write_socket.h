#pragma once

// The TCP socket under a browser's WebSocket. Beast reads and writes through it like
// through any stream, and the session may also hand it a whole data frame to write
// straight to the kernel (TryWriteFrame): one sendmsg, without Beast's and asio's composed
// write operations and without a completion handler to post, which is most of what a
// browser write cost in user space. That is the common case: the socket has room.
//
// Beast's own writes (the upgrade response, the pong it answers to a ping, a close) and
// direct frames never interleave on the wire: a frame is written directly only while
// Beast has no write in progress (CanWriteFrame), and when the kernel does not take a
// frame whole, Beast's writes wait until the rest of it is out.
//
// Over TLS (--tls_cert_file) the socket carries a TlsStream instead: Beast reads and
// writes through it, and direct frames are off (CanWriteFrame is false), since the kernel
// cannot encrypt them. The plaintext path only gains a test of tls_ here and there.
//
// Not thread-safe: everything runs on the session's loop, like the session that owns it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "wsbridge/tls/tls_stream.h"

namespace wsbridge {

// The header of one unmasked (server to client) text frame with FIN set: 2 to 10 bytes.
// `compressed`: RSV1, a permessage-deflate message.
class TextFrameHeader {
 public:
  explicit TextFrameHeader(std::size_t payload_bytes, bool compressed = false);
  boost::asio::const_buffer buffer() const { return {bytes_.data(), size_}; }

 private:
  std::array<std::uint8_t, 10> bytes_{};
  std::size_t size_ = 0;
};

class DirectWriteSocket {
 public:
  using executor_type = boost::asio::any_io_executor;
  using next_layer_type = boost::asio::ip::tcp::socket;

  explicit DirectWriteSocket(next_layer_type&& socket) : socket_(std::move(socket)) {}
  // Over TLS, after the TLS handshake.
  explicit DirectWriteSocket(std::unique_ptr<TlsStream> tls)
      : socket_(tls->get_executor()), tls_(std::move(tls)) {}

  // The TCP socket, under TLS or not.
  next_layer_type& next_layer() { return tls_ ? tls_->next_layer().socket() : socket_; }
  const next_layer_type& next_layer() const {
    return tls_ ? tls_->next_layer().socket() : socket_;
  }
  executor_type get_executor() { return socket_.get_executor(); }
  TlsStream* tls() { return tls_.get(); }

  // The stream interface Beast uses.
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    if (tls_) {
      return tls_->async_read_some(buffers, std::forward<Token>(token));
    }
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& data) {
          this->StartStreamWrite(data, std::move(handler));
        },
        token, buffers);
  }

  // Beast's writes that had to wait for a frame's rest so far (tests).
  std::size_t deferred_stream_writes() const { return deferred_stream_writes_; }

  // True when neither Beast nor an earlier frame is writing, so a frame may start now.
  // Never over TLS.
  bool CanWriteFrame() const { return stream_writes_ == 0 && !frame_in_flight_ && !tls_; }

  // Beast has closed the WebSocket and is ending the TCP connection (it sent its close
  // frame and shut down sending, and reads until the peer's end). Nothing may be written
  // any more; its read completes once the peer is done.
  bool torn_down() const { return torn_down_; }
  void MarkTornDown() { torn_down_ = true; }

  // Writes what the kernel takes at once of one complete WebSocket frame, `header` then
  // `payload`; requires CanWriteFrame(). Returns true when that was all of it. Otherwise
  // FinishFrame must follow before anything else is written. Either way the buffers are
  // free again on return: what the kernel did not take is copied (rarely: the browser
  // reads slowly), so a loop can build every browser's frame in one scratch buffer.
  bool TryWriteFrame(boost::asio::const_buffer header, boost::asio::const_buffer payload);

  // Writes the rest of the frame TryWriteFrame began; `done(error_code)` runs on the loop
  // once it is out or the write failed. Beast's writes wait until then.
  template <typename Handler>
  void FinishFrame(Handler&& done) {
    frame_in_flight_ = true;
    // A hard error (a reset peer) is met again by this write and reported through `done`,
    // like any failed write.
    boost::asio::async_write(
        socket_, boost::asio::buffer(rest_),
        [this, done = std::forward<Handler>(done)](boost::system::error_code ec,
                                                   std::size_t /*bytes*/) mutable {
          frame_in_flight_ = false;
          std::string().swap(rest_);  // slow readers are rare: keep no buffer for them
          StartDeferredStreamWrites();
          done(ec);
        });
  }

 private:
  template <typename ConstBuffers, typename Handler>
  void StartStreamWrite(const ConstBuffers& buffers, Handler handler) {
    if (frame_in_flight_) {
      // Rare (a ping answered while a frame waits for room): the operation is kept, with
      // its buffers, until the frame is out.
      ++deferred_stream_writes_;
      auto held = std::make_shared<Handler>(std::move(handler));
      deferred_.push_back([this, buffers, held] { StartStreamWrite(buffers, std::move(*held)); });
      return;
    }
    ++stream_writes_;
    auto done = [this, handler = std::move(handler)](boost::system::error_code ec,
                                                     std::size_t bytes) mutable {
      // Beast's next write_some of the same message, if any, starts inside `handler`,
      // so between the two no other handler on this loop sees the count at zero.
      --stream_writes_;
      std::move(handler)(ec, bytes);
    };
    if (tls_) {
      StartTlsWrite(buffers, std::move(done));
      return;
    }
    socket_.async_write_some(buffers, std::move(done));
  }

  // asio's TLS stream encrypts only the first buffer of a sequence per write_some, so a
  // Beast frame (header, then payload) would cost two TLS records and two syscalls. A
  // sequence of several buffers that fits one record is copied into one, as
  // beast::flat_stream does; the bytes written are then a prefix of the sequence.
  template <typename ConstBuffers, typename Handler>
  void StartTlsWrite(const ConstBuffers& buffers, Handler done) {
    const std::size_t bytes = boost::asio::buffer_size(buffers);
    const bool several = std::next(boost::asio::buffer_sequence_begin(buffers)) !=
                         boost::asio::buffer_sequence_end(buffers);
    if (!several || bytes > kMaxTlsRecordBytes || tls_flat_busy_) {
      tls_->async_write_some(buffers, std::move(done));
      return;
    }
    tls_flat_.resize(bytes);
    boost::asio::buffer_copy(boost::asio::buffer(tls_flat_), buffers);
    tls_flat_busy_ = true;
    tls_->async_write_some(boost::asio::buffer(tls_flat_),
                           [this, done = std::move(done)](boost::system::error_code ec,
                                                          std::size_t written) mutable {
                             tls_flat_busy_ = false;
                             std::move(done)(ec, written);
                           });
  }

  void StartDeferredStreamWrites();

  // The plaintext of one TLS record at most (RFC 8446 5.1).
  static constexpr std::size_t kMaxTlsRecordBytes = 16 * 1024;

  next_layer_type socket_;  // unopened over TLS
  std::unique_ptr<TlsStream> tls_;
  std::string tls_flat_;  // StartTlsWrite's copy of a sequence of buffers, while written
  bool tls_flat_busy_ = false;
  int stream_writes_ = 0;         // Beast's write_some operations in progress
  bool frame_in_flight_ = false;  // the rest of a direct frame is being written
  bool torn_down_ = false;
  std::string rest_;  // what TryWriteFrame left of its frame
  std::vector<std::function<void()>> deferred_;  // Beast's writes waiting for that frame
  std::size_t deferred_stream_writes_ = 0;
};

// Beast's closing handshake ends the TCP connection through these (found by ADL).
inline void teardown(boost::beast::role_type role, DirectWriteSocket& socket,
                     boost::system::error_code& ec) {
  socket.MarkTornDown();
  if (TlsStream* tls = socket.tls()) {
    boost::beast::teardown(role, *tls, ec);
    return;
  }
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}
template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, DirectWriteSocket& socket,
                    TeardownHandler&& handler) {
  socket.MarkTornDown();
  if (TlsStream* tls = socket.tls()) {
    // TLS's close_notify first, then the TCP connection ends.
    boost::beast::async_teardown(role, *tls, std::forward<TeardownHandler>(handler));
    return;
  }
  boost::beast::websocket::async_teardown(role, socket.next_layer(),
                                          std::forward<TeardownHandler>(handler));
}

}  // namespace wsbridge
