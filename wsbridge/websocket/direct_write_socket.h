#pragma once

// The TCP socket under a browser's WebSocket. Beast's stream does the upgrade through it
// like through any stream (and asio writes through it over TLS whose records cannot be
// sealed here); after that the session hands it whole frames to write straight to the
// kernel (TryWriteFrame): one sendmsg, without asio's composed write operations and
// without a completion handler to post, which is most of what a browser write cost in user
// space. That is the common case: the socket has room.
//
// Stream writes (the upgrade response) and direct frames never interleave on the wire: a
// frame is written directly only while no stream write is in progress (CanWriteFrame),
// and when the kernel does not take a frame whole, stream writes wait until the rest of it
// is out.
//
// Over TLS (--tls_cert_file) the socket carries a TlsStream: asio's stream reads (and did
// the handshake), and from the upgrade on every write is sealed here, through the
// TlsRecordSink put under the stream's SSL. A direct frame (or a run of frames,
// TryWriteFrames) is then one SSL_write (records of at most 16 KB, each holding as many
// frames as fit) and one sendmsg of the records; stream writes are
// sealed the same way and their records written asynchronously. Sealing is synchronous,
// so records reach the kernel in the order the SSL numbered them, and the rule above keeps
// frames whole. Closing sends close_notify, then ends the TCP connection.
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
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "wsbridge/tls/tls_record_sink.h"
#include "wsbridge/tls/tls_stream.h"

namespace wsbridge {

// The header of one unmasked (server to client) text frame with FIN set: 2 to 10 bytes.
// `compressed`: RSV1, a permessage-deflate message.
class TextFrameHeader {
 public:
  explicit TextFrameHeader(std::size_t payload_bytes, bool compressed = false);
  // The longest header: 2 bytes and a 64-bit length.
  static constexpr std::size_t kMaxBytes = 10;
  boost::asio::const_buffer buffer() const { return {bytes_.data(), size_}; }

 private:
  std::array<std::uint8_t, kMaxBytes> bytes_{};
  std::size_t size_ = 0;
};

class DirectWriteSocket {
 public:
  using executor_type = boost::asio::any_io_executor;
  using next_layer_type = boost::asio::ip::tcp::socket;

  explicit DirectWriteSocket(next_layer_type&& socket) : socket_(std::move(socket)) {}
  // Over TLS, after the TLS handshake, before anything else is written.
  explicit DirectWriteSocket(std::unique_ptr<TlsStream> tls)
      : socket_(tls->get_executor()),
        tls_(std::move(tls)),
        records_(TlsRecordSink::Attach(tls_->native_handle())) {}

  // The TCP socket, under TLS or not.
  next_layer_type& next_layer() { return tls_ ? tls_->next_layer().socket() : socket_; }
  const next_layer_type& next_layer() const {
    return tls_ ? tls_->next_layer().socket() : socket_;
  }
  executor_type get_executor() { return socket_.get_executor(); }
  TlsStream* tls() { return tls_.get(); }

  // The stream interface Beast's upgrade and asio's writes use.
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

  // Stream writes that had to wait for a frame's rest so far (tests).
  std::size_t deferred_stream_writes() const { return deferred_stream_writes_; }

  // True when neither a stream write nor an earlier frame is writing, so a frame may start.
  // Over TLS only once the records are sealed here (always, unless the sink could not be
  // attached: then asio writes them, through async_write_some).
  bool CanWriteFrame() const {
    return stream_writes_ == 0 && !frame_in_flight_ && (!tls_ || records_);
  }

  // The WebSocket is closed and the TCP connection is ending (sending is shut down, and
  // the teardown reads until the peer's end). Nothing may be written any more.
  bool torn_down() const { return torn_down_; }
  void MarkTornDown() { torn_down_ = true; }

  // Writes what the kernel takes at once of one complete WebSocket frame, `header` then
  // `payload` (over TLS: of its records); requires CanWriteFrame(). Returns true when that
  // was all of it. Otherwise FinishFrame must follow before anything else is written.
  // Either way the buffers are free again on return: what the kernel did not take is
  // copied (rarely: the browser reads slowly), so a loop can build every browser's frame
  // in one scratch buffer.
  bool TryWriteFrame(boost::asio::const_buffer header, boost::asio::const_buffer payload);

  // The same for several complete frames, headers included, one after the other in
  // `frames`. Over TLS they are sealed together (one SSL_write: a record of up to 16 KB
  // holds many frames, where a frame each cost both ends a record to seal and open) and
  // their records go out with one sendmsg.
  bool TryWriteFrames(boost::asio::const_buffer frames);

  // Writes the rest of the frame TryWriteFrame began; `done(error_code)` runs on the loop
  // once it is out or the write failed. Stream writes wait until then.
  template <typename Handler>
  void FinishFrame(Handler&& done) {
    frame_in_flight_ = true;
    if (frame_error_) {
      // The frame could not be sealed (the TLS session failed): report it like a failed
      // write, from the loop.
      boost::asio::post(get_executor(), [this, done = std::forward<Handler>(done),
                                         ec = std::exchange(frame_error_, {})]() mutable {
        frame_in_flight_ = false;
        StartDeferredStreamWrites();
        done(ec);
      });
      return;
    }
    // A hard error (a reset peer) is met again by this write and reported through `done`,
    // like any failed write.
    boost::asio::async_write(
        next_layer(), boost::asio::buffer(rest_),
        [this, done = std::forward<Handler>(done)](boost::system::error_code ec,
                                                   std::size_t /*bytes*/) mutable {
          frame_in_flight_ = false;
          std::string().swap(rest_);  // slow readers are rare: keep no buffer for them
          StartDeferredStreamWrites();
          done(ec);
        });
  }

  // Over TLS with sealed records: close_notify, then the TCP connection ends as Beast
  // ends a plain one (the teardown functions below).
  template <typename TeardownHandler>
  void AsyncTeardownTls(boost::beast::role_type role, TeardownHandler&& handler) {
    records_->Shutdown();
    flight_.swap(records_->pending());
    boost::asio::async_write(
        next_layer(), boost::asio::buffer(flight_),
        [this, role, handler = std::forward<TeardownHandler>(handler)](
            boost::system::error_code /*ec*/, std::size_t /*bytes*/) mutable {
          // A failed write leaves nothing to say goodbye to: the teardown's read ends at once.
          std::string().swap(flight_);
          boost::beast::websocket::async_teardown(role, next_layer(), std::move(handler));
        });
  }
  void TeardownTls(boost::beast::role_type role, boost::system::error_code& ec);
  bool seals_records() const { return records_ != nullptr; }

 private:
  template <typename ConstBuffers, typename Handler>
  void StartStreamWrite(const ConstBuffers& buffers, Handler handler) {
    if (frame_in_flight_ || flight_busy_) {
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
      // The next write_some of the same message, if any, starts inside `handler`,
      // so between the two no other handler on this loop sees the count at zero.
      --stream_writes_;
      std::move(handler)(ec, bytes);
    };
    if (records_) {
      StartSealedWrite(buffers, std::move(done));
      return;
    }
    if (tls_) {
      tls_->async_write_some(buffers, std::move(done));
      return;
    }
    socket_.async_write_some(buffers, std::move(done));
  }

  // Seals all of `buffers` as one run of records (a frame's header and payload in
  // one record when they fit), then writes the records, after any the SSL wrote since the
  // last write. `done` gets the plaintext bytes once the records are out.
  template <typename ConstBuffers, typename Handler>
  void StartSealedWrite(const ConstBuffers& buffers, Handler done) {
    const std::size_t bytes = boost::asio::buffer_size(buffers);
    std::string& plain = PlaintextScratch();
    plain.resize(bytes);
    boost::asio::buffer_copy(boost::asio::buffer(plain), buffers);
    const boost::system::error_code ec =
        records_->Seal(plain.data(), plain.size(), &records_->pending());
    if (ec) {
      boost::asio::post(get_executor(), [done = std::move(done), ec]() mutable {
        std::move(done)(ec, 0);
      });
      return;
    }
    flight_busy_ = true;
    flight_.swap(records_->pending());
    boost::asio::async_write(next_layer(), boost::asio::buffer(flight_),
                             [this, bytes, done = std::move(done)](boost::system::error_code e,
                                                                   std::size_t) mutable {
                               flight_busy_ = false;
                               flight_.clear();
                               if (flight_.capacity() > kKeptFlightBytes) {
                                 std::string().swap(flight_);
                               }
                               StartDeferredStreamWrites();
                               std::move(done)(e, e ? 0 : bytes);
                             });
  }

  // Seals `plaintext` (whole frames) and writes what the kernel takes of its records.
  bool TryWriteSealed(boost::asio::const_buffer plaintext);
  // One non-blocking sendmsg of `parts` (retried on EINTR): the bytes the kernel took.
  std::size_t SendNow(const boost::asio::const_buffer* parts, std::size_t count);
  // The loop's buffer for a frame's plaintext while it is sealed.
  static std::string& PlaintextScratch();
  void StartDeferredStreamWrites();

  // A write buffer of stream writes' records that grew past this is given back.
  static constexpr std::size_t kKeptFlightBytes = 4 * 1024;

  next_layer_type socket_;  // unopened over TLS
  std::unique_ptr<TlsStream> tls_;
  std::unique_ptr<TlsRecordSink> records_;  // over TLS: the SSL's write BIO
  std::string flight_;  // the records of the stream write in progress
  bool flight_busy_ = false;
  boost::system::error_code frame_error_;  // why TryWriteFrame could not seal its frame
  int stream_writes_ = 0;         // write_some operations in progress
  bool frame_in_flight_ = false;  // the rest of a direct frame is being written
  bool torn_down_ = false;
  std::string rest_;  // what TryWriteFrame left of its frame
  std::vector<std::function<void()>> deferred_;  // stream writes waiting for that frame
  std::size_t deferred_stream_writes_ = 0;
};

// The closing handshake ends the TCP connection through these (found by ADL).
inline void teardown(boost::beast::role_type role, DirectWriteSocket& socket,
                     boost::system::error_code& ec) {
  socket.MarkTornDown();
  if (socket.seals_records()) {
    socket.TeardownTls(role, ec);
    return;
  }
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
  if (socket.seals_records()) {
    socket.AsyncTeardownTls(role, std::forward<TeardownHandler>(handler));
    return;
  }
  if (TlsStream* tls = socket.tls()) {
    // TLS's close_notify first, then the TCP connection ends.
    boost::beast::async_teardown(role, *tls, std::forward<TeardownHandler>(handler));
    return;
  }
  boost::beast::websocket::async_teardown(role, socket.next_layer(),
                                          std::forward<TeardownHandler>(handler));
}

}  // namespace wsbridge
