#pragma once

// One HTTP connection, plain or over TLS: serves files from the web root and /healthz, and
// hands a /chat upgrade over to a WebSocketSession (with the TLS stream, if any).
// Lifetime: shared; the pending read, write or health probe holds it.

#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/string_view.h"
#include "wsbridge/bridge_context.h"
#include "wsbridge/tls/tls_stream.h"

namespace wsbridge {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `socket`'s executor must run one handler at a time (an IoThreads loop, or a strand).
  HttpSession(boost::asio::ip::tcp::socket&& socket, const BridgeContext& context);
  // https: the TLS handshake comes first.
  HttpSession(std::unique_ptr<TlsStream> tls, const BridgeContext& context);

  void Run();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void OnHandshake(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void Handle(Request request);
  void ServeHealth(const Request& request);
  // /config.json: what the page needs to know about this deployment (--token_endpoint).
  void ServeConfig(const Request& request);
  // GET /metrics, only when --metrics_listen names the public address itself.
  void ServeMetrics(const Request& request);
  void SendResponse(boost::beast::http::message_generator response);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void DoClose();
  void Fail(boost::beast::error_code ec, absl::string_view what);

  // The TCP stream (for its timeouts), under TLS or not.
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : stream_; }
  // Runs `op` on the stream HTTP goes through: the TLS stream, else the TCP stream.
  template <typename Op>
  void WithStream(Op&& op) {
    if (tls_) {
      op(*tls_);
    } else {
      op(stream_);
    }
  }

  const BridgeContext context_;
  const boost::asio::any_io_executor strand_;
  boost::beast::tcp_stream stream_;  // unopened over TLS
  std::unique_ptr<TlsStream> tls_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace wsbridge
