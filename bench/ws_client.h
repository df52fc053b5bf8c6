#pragma once

// One benchmark client over WebSocket: connects to wsbridge's /chat, joins, then reads
// frames (handing them to its Participant) and writes its Sender's messages with exactly one
// write in flight. Everything runs on one single-threaded io_context, so no locks.
// Lifetime: owned by the runner; destroyed only after its io_context stopped running.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "bench/participant.h"
#include "bench/transport.h"

namespace bench {

class WsClient final : public Transport {
 public:
  // `source` is the local address to connect from (unspecified: the kernel picks).
  WsClient(boost::asio::io_context& ioc, Participant* participant,
           boost::asio::ip::tcp::endpoint target, boost::asio::ip::address source,
           std::string host, std::string room, std::chrono::nanoseconds handshake_timeout);
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Any thread: each posts to the io_context.
  void Start();
  void Close();

  // On the io thread.
  void SendMessage(const std::string& text, const std::string& client_id) override;

 private:
  using WebSocket = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  void DoStart();
  void OnConnect(const boost::system::error_code& ec);
  void OnHandshake(const boost::system::error_code& ec);
  void Enqueue(std::string frame);
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec);
  void DoRead();
  void OnRead(const boost::system::error_code& ec);
  void DoClose();
  void OnClose(const boost::system::error_code& ec);
  void End(std::string why);

  boost::asio::io_context& ioc_;
  Participant* const participant_;
  const boost::asio::ip::tcp::endpoint target_;
  const boost::asio::ip::address source_;
  const std::string host_;
  const std::string room_;
  const std::chrono::nanoseconds handshake_timeout_;
  WebSocket ws_;
  boost::beast::flat_buffer read_buffer_;

  std::deque<std::string> queue_;
  std::string in_flight_;
  bool writing_ = false;
  bool open_ = false;           // handshake done, not yet closed
  bool close_wanted_ = false;   // Close() was called
  bool close_started_ = false;  // async_close issued
  bool ended_ = false;
};

}  // namespace bench
