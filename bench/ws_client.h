#pragma once

// One benchmark client over WebSocket: connects to wsbridge's /chat, joins, then reads
// frames (handing them to its Participant) and writes its Sender's messages with exactly one
// write in flight. It speaks WebSocket itself (ws_frame_codec.h) on a plain TCP socket:
// frames are decoded where they were received, with no copy and no operation per frame.
// With WsSecurity::tls asio's TLS stream does the handshake over that socket (wss); then a
// TlsChannel opens and seals the records: each time the socket is readable, its SSL reads
// what the socket holds (many records a recv) and every record is opened before the frames
// are handled.
// Everything runs on one single-threaded io_context, so no locks.
// Lifetime: owned by the runner; destroyed only after its io_context stopped running.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/participant.h"
#include "bench/tls_channel.h"
#include "bench/transport.h"
#include "bench/ws_frame_codec.h"

struct z_stream_s;

namespace bench {

// What a client needs against a secure bridge (roomd --auth=jwt, wsbridge with a
// certificate); the defaults are the plaintext open-mode client.
struct WsSecurity {
  // wss when set: shared by every client, outlives them (SSL_CTX is thread-safe).
  boost::asio::ssl::context* tls = nullptr;
  // The join carries this token instead of an email.
  std::string token;
};

// permessage-deflate on the client's side: a raw zlib inflater kept for the connection
// (the bridge compresses each message against the ones before). Frees zlib on destruction.
class WsInflater {
 public:
  WsInflater();
  ~WsInflater();
  WsInflater(const WsInflater&) = delete;
  WsInflater& operator=(const WsInflater&) = delete;
  // One whole message's payload (without its 00 00 ff ff) inflated into *out.
  absl::Status Inflate(absl::string_view payload, std::string* out);

 private:
  std::unique_ptr<z_stream_s> stream_;
};

class WsClient final : public Transport {
 public:
  // `source` is the local address to connect from (unspecified: the kernel picks).
  // `handshake_timeout` bounds the connect, TLS handshake and upgrade, and the closing
  // handshake.
  WsClient(boost::asio::io_context& ioc, Participant* participant,
           boost::asio::ip::tcp::endpoint target, boost::asio::ip::address source,
           std::string host, std::string room, std::chrono::nanoseconds handshake_timeout,
           WsSecurity security = {}, bool offer_deflate = false);
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Any thread: each posts to the io_context.
  void Start();
  void Close();

  // On the io thread.
  void SendMessage(const std::string& text, const std::string& client_id) override;

  // Bytes every client of this process read from its socket so far (any thread): what
  // the bridge put on the wire for them, frame headers and all.
  static uint64_t BytesRead();

 private:
  void DoStart();
  void OnConnect(const boost::system::error_code& ec);
  void OnTlsHandshake(const boost::system::error_code& ec);
  void WriteUpgradeRequest();
  // Writes in_flight_, sealed when there is TLS.
  template <typename Handler>
  void WriteInFlight(Handler&& handler);
  void OnRequestWritten(const boost::system::error_code& ec);
  void ReadResponse();
  void OnResponseRead(const boost::system::error_code& ec, std::size_t bytes);
  // The response head is in in_ (or not yet whole): checks it and starts the session.
  void HandleResponse();
  // wss: waits until the socket is readable, then opens all it holds (OnTlsReadable).
  void WaitTlsReadable();
  void OnTlsReadable(const boost::system::error_code& ec);
  // Opens every record the channel was supplied into in_, handling whole frames whenever
  // in_ runs out of room; false once the client ended.
  bool OpenRecords();
  // Gives in_ at least kMinReadSpace bytes of room after in_end_.
  void MakeReadSpace();
  void StartTimer();
  void SendFrame(WsOpcode opcode, absl::string_view payload);
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec);
  void DoRead();
  void OnRead(const boost::system::error_code& ec, std::size_t bytes);
  // Handles every whole frame received; false once the client ended.
  bool ProcessFrames();
  bool HandleFrame(const WsFrame& frame);
  void DoClose();
  void End(std::string why);

  boost::asio::io_context& ioc_;
  Participant* const participant_;
  const boost::asio::ip::tcp::endpoint target_;
  const boost::asio::ip::address source_;
  const std::string host_;
  const std::string room_;
  const std::chrono::nanoseconds handshake_timeout_;
  const std::string token_;
  boost::asio::ip::tcp::socket socket_;
  // wss: TLS over socket_ (which it only borrows: closing socket_ still ends everything).
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::unique_ptr<TlsChannel> channel_;  // wss after the handshake: our records
  std::string sealed_;                   // the records of the write in flight
  boost::asio::steady_timer timer_;  // the handshake's, then the closing handshake's limit
  uint32_t mask_state_;              // xorshift state for the frames' masks

  // Received bytes not yet handled are in_[in_begin_, in_end_).
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string message_;  // a fragmented text message being put together
  bool in_message_ = false;
  const bool offer_deflate_;
  std::unique_ptr<WsInflater> inflater_;  // once the upgrade agreed to permessage-deflate
  bool message_compressed_ = false;       // the message being put together
  std::string inflated_;

  std::deque<std::string> queue_;  // whole frames, bounded by the sender's window
  std::string in_flight_;
  bool writing_ = false;
  bool open_ = false;           // upgraded, not yet closed
  bool close_wanted_ = false;   // Close() was called
  bool close_started_ = false;  // our close frame is queued
  std::string end_when_written_;  // the server closed: end with this once our answer is out
  bool ended_ = false;
};

}  // namespace bench
