#include "wsbridge/http/http_session.h"

#include <string>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/log_rate_limiter.h"
#include "common/metrics/metrics.h"
#include "wsbridge/http/url.h"
#include "wsbridge/log.h"
#include "wsbridge/websocket/websocket_session.h"

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

// Requests are GETs; nothing we serve needs a body or big headers.
constexpr std::size_t kMaxRequestBody = 4 * 1024;
constexpr std::uint32_t kMaxRequestHeader = 8 * 1024;

template <typename Body>
void SetCommonHeaders(http::response<Body>& response, absl::string_view content_type) {
  response.set(http::field::server, "wsbridge");
  response.set(http::field::content_type,
               beast::string_view(content_type.data(), content_type.size()));
  response.set("X-Content-Type-Options", "nosniff");
}

http::message_generator TextResponse(http::status status, unsigned version, bool keep_alive,
                                     absl::string_view text) {
  http::response<http::string_body> response{status, version};
  SetCommonHeaders(response, "text/plain; charset=utf-8");
  response.keep_alive(keep_alive);
  response.body() = std::string(text);
  response.body() += "\n";
  response.prepare_payload();
  return response;
}

// Failed TLS handshakes come from scanners and plaintext clients as fast as they like to
// connect: a few lines a second, then one line with the count of the rest.
constexpr int kTlsFailureLinesPerSecond = 5;

chat::LogRateLimiter& TlsFailureLog() {
  static auto* const limiter = new chat::LogRateLimiter(kTlsFailureLinesPerSecond,
                                                        absl::Seconds(1));
  return *limiter;
}

// Ends of a connection that are not worth a line: ours, a timeout, or the peer going away.
bool IsQuiet(beast::error_code ec) {
  return ec == net::error::operation_aborted || ec == beast::error::timeout ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::ssl::error::stream_truncated;
}

http::status StatusForParseError(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return http::status::payload_too_large;
  }
  if (ec == http::error::header_limit) {
    return http::status::request_header_fields_too_large;
  }
  return http::status::bad_request;
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket&& socket, const BridgeContext& context)
    : context_(context), strand_(socket.get_executor()), stream_(std::move(socket)) {}

HttpSession::HttpSession(std::unique_ptr<TlsStream> tls, const BridgeContext& context)
    : context_(context),
      strand_(tls->get_executor()),
      stream_(strand_),
      tls_(std::move(tls)) {}

void HttpSession::Run() {
  if (tls_ == nullptr) {
    net::dispatch(strand_, beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
    return;
  }
  net::dispatch(strand_, [self = shared_from_this()] {
    const absl::Duration timeout = self->context_.options->handshake_timeout;
    self->tcp().expires_after(absl::ToChronoMilliseconds(timeout));
    self->tls_->async_handshake(net::ssl::stream_base::server,
                                beast::bind_front_handler(&HttpSession::OnHandshake, self));
  });
}

void HttpSession::OnHandshake(beast::error_code ec) {
  if (ec) {
    // A plaintext client, a client that distrusts our certificate, a scanner: only this
    // connection ends.
    if (!IsQuiet(ec)) {
      chat::WriteLimitedLogLine(TlsFailureLog(), "wsbridge", "TLS handshake failure",
                                absl::StrCat("http TLS handshake: ", ec.message()));
    }
    return;
  }
  DoRead();
}

void HttpSession::DoRead() {
  parser_.emplace();
  parser_->body_limit(kMaxRequestBody);
  parser_->header_limit(kMaxRequestHeader);
  tcp().expires_after(absl::ToChronoMilliseconds(context_.options->handshake_timeout));
  WithStream([this](auto& stream) {
    http::async_read(stream, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  });
}

void HttpSession::OnRead(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    DoClose();
    return;
  }
  if (ec) {
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      // A malformed or oversized request: say so, then close.
      SendResponse(TextResponse(StatusForParseError(ec), 11, /*keep_alive=*/false,
                                absl::StrCat("bad request: ", ec.message())));
      return;
    }
    Fail(ec, "read");
    return;
  }
  Handle(parser_->release());
}

void HttpSession::Handle(Request request) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const absl::string_view target(request.target().data(), request.target().size());
  const absl::string_view path = TargetPath(target);

  if (beast::websocket::is_upgrade(request)) {
    if (path != "/chat") {
      SendResponse(TextResponse(http::status::not_found, version, false, "not found"));
      return;
    }
    const auto origin = request[http::field::origin];
    const auto host = request[http::field::host];
    if (!context_.origins->Allows(absl::string_view(origin.data(), origin.size()),
                                  absl::string_view(host.data(), host.size()))) {
      LogLine(absl::StrCat("rejected /chat from origin ", absl::string_view(origin.data(),
                                                                            origin.size())));
      SendResponse(TextResponse(http::status::forbidden, version, false,
                                "this page's origin may not open /chat"));
      return;
    }
    tcp().expires_never();
    if (tls_) {
      std::make_shared<WebSocketSession>(std::move(tls_), context_)->Run(std::move(request));
    } else {
      std::make_shared<WebSocketSession>(stream_.release_socket(), context_)
          ->Run(std::move(request));
    }
    return;
  }

  const bool head = request.method() == http::verb::head;
  if (request.method() != http::verb::get && !head) {
    http::response<http::string_body> response{http::status::method_not_allowed, version};
    SetCommonHeaders(response, "text/plain; charset=utf-8");
    response.set(http::field::allow, "GET, HEAD");
    response.keep_alive(keep_alive);
    response.body() = "only GET and HEAD\n";
    response.prepare_payload();
    SendResponse(std::move(response));
    return;
  }
  if (path == "/healthz") {
    ServeHealth(request);
    return;
  }
  if (path == "/config.json") {
    ServeConfig(request);
    return;
  }
  if (path == "/metrics" && context_.options->metrics_on_public_port) {
    ServeMetrics(request);
    return;
  }
  if (path == "/chat") {
    SendResponse(TextResponse(http::status::upgrade_required, version, keep_alive,
                              "/chat is a WebSocket endpoint"));
    return;
  }
  auto file = context_.files->Resolve(path);
  if (!file.ok()) {
    const bool malformed = file.status().code() == absl::StatusCode::kInvalidArgument;
    SendResponse(TextResponse(malformed ? http::status::bad_request : http::status::not_found,
                              version, keep_alive,
                              malformed ? "malformed URL" : "not found"));
    return;
  }
  http::file_body::value_type body;
  beast::error_code ec;
  body.open(file->c_str(), beast::file_mode::scan, ec);
  if (ec) {
    SendResponse(TextResponse(http::status::not_found, version, keep_alive, "not found"));
    return;
  }
  const std::uint64_t size = body.size();
  const absl::string_view type = StaticFiles::ContentType(*file);
  if (head) {
    http::response<http::empty_body> response{http::status::ok, version};
    SetCommonHeaders(response, type);
    response.set(http::field::cache_control, "no-cache");
    response.content_length(size);
    response.keep_alive(keep_alive);
    SendResponse(std::move(response));
    return;
  }
  http::response<http::file_body> response{std::piecewise_construct,
                                            std::make_tuple(std::move(body)),
                                            std::make_tuple(http::status::ok, version)};
  SetCommonHeaders(response, type);
  response.set(http::field::cache_control, "no-cache");
  response.content_length(size);
  response.keep_alive(keep_alive);
  SendResponse(std::move(response));
}

void HttpSession::ServeConfig(const Request& request) {
  boost::json::object body;
  if (!context_.options->token_endpoint.empty()) {
    body["tokenEndpoint"] = context_.options->token_endpoint;
  }
  http::response<http::string_body> response{http::status::ok, request.version()};
  SetCommonHeaders(response, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = boost::json::serialize(body) + "\n";
  response.prepare_payload();
  if (request.method() == http::verb::head) {
    response.body().clear();
  }
  SendResponse(std::move(response));
}

void HttpSession::ServeHealth(const Request& request) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  const bool head = request.method() == http::verb::head;
  const std::size_t sessions = context_.sessions->size();
  context_.roomd->CheckHealth([self = shared_from_this(), version, keep_alive, head,
                               sessions](RoomdHealth health) mutable {
    // A gRPC thread: build the answer here, write it on the strand.
    boost::json::object body;
    body["bridge"] = "up";
    body["roomd"] = health.up ? "up" : "down";
    body["roomd_detail"] = health.detail;
    body["sessions"] = sessions;
    http::response<http::string_body> response{
        health.up ? http::status::ok : http::status::service_unavailable, version};
    SetCommonHeaders(response, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(keep_alive);
    response.body() = boost::json::serialize(body) + "\n";
    response.prepare_payload();
    if (head) {
      response.body().clear();
    }
    // The session goes with the handler, so it is released on its strand, not here.
    auto& strand = self->strand_;
    net::post(strand, [self = std::move(self), response = std::move(response)]() mutable {
      self->SendResponse(std::move(response));
    });
  });
}

void HttpSession::ServeMetrics(const Request& request) {
  http::response<http::string_body> response{http::status::ok, request.version()};
  SetCommonHeaders(response, "text/plain; version=0.0.4; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  if (request.method() != http::verb::head) {
    response.body() = chat::metrics::DefaultRegistry().Render();
  }
  response.prepare_payload();
  SendResponse(std::move(response));
}

void HttpSession::SendResponse(http::message_generator response) {
  const bool keep_alive = response.keep_alive();
  tcp().expires_after(absl::ToChronoMilliseconds(context_.options->handshake_timeout));
  WithStream([&](auto& stream) {
    beast::async_write(stream, std::move(response),
                       beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(),
                                                 keep_alive));
  });
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) {
    Fail(ec, "write");
    return;
  }
  if (!keep_alive) {
    DoClose();
    return;
  }
  DoRead();
}

void HttpSession::DoClose() {
  if (tls_) {
    // TLS ends with close_notify (bounded by the handshake timeout); the session goes
    // with the handler.
    tcp().expires_after(absl::ToChronoMilliseconds(context_.options->handshake_timeout));
    tls_->async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->tcp().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    });
    return;
  }
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

void HttpSession::Fail(beast::error_code ec, absl::string_view what) {
  if (IsQuiet(ec)) {
    return;
  }
  LogLine(absl::StrCat("http ", what, ": ", ec.message()));
}

}  // namespace wsbridge
