#pragma once

// One plain HTTP connection: serves files from the web root and /healthz, and hands a
// /chat upgrade over to a WebSocketSession.
// Lifetime: shared; the pending read, write or health probe holds it.

#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/string_view.h"
#include "wsbridge/bridge_context.h"

namespace wsbridge {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `socket`'s executor must run one handler at a time (an IoThreads loop, or a strand).
  HttpSession(boost::asio::ip::tcp::socket&& socket, const BridgeContext& context);

  void Run();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Handle(Request request);
  void ServeHealth(const Request& request);
  void SendResponse(boost::beast::http::message_generator response);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void DoClose();
  void Fail(boost::beast::error_code ec, absl::string_view what);

  const BridgeContext context_;
  const boost::asio::any_io_executor strand_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace wsbridge
