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
// Not thread-safe: everything runs on the session's loop, like the session that owns it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
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
#include <boost/beast/websocket/teardown.hpp>

namespace wsbridge {

// The header of one unmasked (server to client) text frame with FIN set: 2 to 10 bytes.
class TextFrameHeader {
 public:
  explicit TextFrameHeader(std::size_t payload_bytes);
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

  next_layer_type& next_layer() { return socket_; }
  const next_layer_type& next_layer() const { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }

  // The stream interface Beast uses.
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
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
  bool CanWriteFrame() const { return stream_writes_ == 0 && !frame_in_flight_; }

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
    socket_.async_write_some(
        buffers, [this, handler = std::move(handler)](boost::system::error_code ec,
                                                      std::size_t bytes) mutable {
          // Beast's next write_some of the same message, if any, starts inside `handler`,
          // so between the two no other handler on this loop sees the count at zero.
          --stream_writes_;
          std::move(handler)(ec, bytes);
        });
  }

  void StartDeferredStreamWrites();

  next_layer_type socket_;
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
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}
template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, DirectWriteSocket& socket,
                    TeardownHandler&& handler) {
  socket.MarkTornDown();
  boost::beast::websocket::async_teardown(role, socket.next_layer(),
                                          std::forward<TeardownHandler>(handler));
}

}  // namespace wsbridge
