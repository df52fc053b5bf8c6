#include "wsbridge/bridge_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "wsbridge/log.h"
#include "wsbridge/websocket/websocket_session.h"

namespace wsbridge {
namespace {

namespace net = boost::asio;

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" -> an endpoint.
absl::StatusOr<net::ip::tcp::endpoint> ParseListen(absl::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--listen needs host:port, got ", listen));
  }
  absl::string_view host = listen.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen has a bad port: ", listen));
  }
  if (absl::ConsumePrefix(&host, "[")) {
    host = absl::StripSuffix(host, "]");
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(std::string(host), ec);
  if (ec) {
    net::io_context ioc;
    net::ip::tcp::resolver resolver(ioc);
    auto results = resolver.resolve(std::string(host), "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--listen host not found: ", host));
    }
    address = results.begin()->endpoint().address();
  }
  return net::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

BridgeServer::BridgeServer(BridgeOptions options)
    : options_(std::move(options)),
      origins_(options_.allowed_origins),
      files_(options_.web_root),
      roomd_(options_, &codec_),
      tls_(options_.tls_cert_file.empty()
               ? nullptr
               : std::make_unique<ServerTls>(options_.tls_cert_file, options_.tls_key_file)),
      context_{&options_, &codec_, &origins_, &files_, &roomd_, &sessions_, tls_.get()},
      io_(options_.threads) {}

BridgeServer::~BridgeServer() { Shutdown(); }

absl::Status BridgeServer::Start() {
  auto endpoint = ParseListen(options_.listen);
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (tls_ != nullptr) {
    if (absl::Status status = tls_->Reload(); !status.ok()) {
      return status;
    }
  }
  listener_ = std::make_shared<Listener>(&io_, context_);
  if (absl::Status status = listener_->Bind(*endpoint); !status.ok()) {
    return status;
  }
  port_ = listener_->local_endpoint().port();
  listener_->Run();
  io_.Start();
  return absl::OkStatus();
}

absl::Status BridgeServer::ReloadTls() {
  if (tls_ == nullptr) {
    return absl::OkStatus();
  }
  return tls_->Reload();
}

void BridgeServer::BeginShutdown() {
  {
    chat::MutexLock lock(&mu_);
    if (shutdown_requested_) {
      return;
    }
    shutdown_requested_ = true;
    shutdown_requested_cv_.SignalAll();
  }
  if (listener_) {
    listener_->Stop();
  }
  for (const auto& session : sessions_.Snapshot()) {
    session->GoAway();
  }
}

void BridgeServer::Wait() {
  {
    chat::MutexLock lock(&mu_);
    while (!shutdown_requested_) {
      shutdown_requested_cv_.Wait(&mu_);
    }
    if (stopped_) {
      return;
    }
    stopped_ = true;
  }
  if (!sessions_.WaitEmpty(options_.shutdown_timeout)) {
    LogLine(absl::StrCat(sessions_.size(), " sessions still open after ",
                         absl::FormatDuration(options_.shutdown_timeout), "; stopping anyway"));
  }
  // Streams end before the io threads stop, so no reaction posts into a dying loop.
  roomd_.CancelAll();
  roomd_.WaitForStreams(absl::Seconds(1));
  io_.Stop();
}

void BridgeServer::Shutdown() {
  BeginShutdown();
  Wait();
}

}  // namespace wsbridge
