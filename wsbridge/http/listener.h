#pragma once

// Accepts connections and starts an HttpSession for each, on the next of the io threads.
// Lifetime: shared; the pending accept holds it until Stop() closes the acceptor.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "absl/status/status.h"
#include "wsbridge/bridge_context.h"
#include "wsbridge/http/address_limiter.h"
#include "wsbridge/io_threads.h"

namespace wsbridge {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `io` outlives the listener.
  Listener(IoThreads* io, const BridgeContext& context);

  // Opens, binds and listens; port 0 picks a free port.
  absl::Status Bind(const boost::asio::ip::tcp::endpoint& endpoint);
  void Run();
  // Any thread: stops accepting.
  void Stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);
  void OnRetryTimer(boost::beast::error_code ec);
  // Answers HTTP 429 to a connection over the per-address limit and closes it.
  void Refuse(boost::asio::ip::tcp::socket socket, const std::string& address);

  IoThreads* const io_;
  const BridgeContext context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ip::tcp::endpoint endpoint_;
  const std::shared_ptr<AddressLimiter> limiter_;
  std::atomic<uint64_t> refused_{0};
};

}  // namespace wsbridge
