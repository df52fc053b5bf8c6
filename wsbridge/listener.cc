#include "wsbridge/listener.h"

#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "absl/strings/str_cat.h"
#include "wsbridge/http_session.h"
#include "wsbridge/log.h"

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// After an accept error such as EMFILE, pause before accepting again instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

}  // namespace

Listener::Listener(net::io_context& ioc, const BridgeContext& context)
    : ioc_(ioc),
      context_(context),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()) {}

absl::Status Listener::Bind(const net::ip::tcp::endpoint& endpoint) {
  beast::error_code ec;
  const auto fail = [&](absl::string_view what) {
    return absl::UnavailableError(absl::StrCat("cannot ", what, " ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", ec.message()));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) {
    return fail("open");
  }
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) {
    return fail("set SO_REUSEADDR on");
  }
  acceptor_.bind(endpoint, ec);
  if (ec) {
    return fail("bind");
  }
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen on");
  }
  endpoint_ = acceptor_.local_endpoint(ec);
  return absl::OkStatus();
}

void Listener::Run() {
  net::post(acceptor_.get_executor(),
            beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
}

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void Listener::DoAccept() {
  if (!acceptor_.is_open()) {
    return;
  }
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, net::ip::tcp::socket socket) {
  if (ec == net::error::operation_aborted) {
    return;  // stopped
  }
  if (ec) {
    LogLine(absl::StrCat("accept: ", ec.message()));
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait(
        beast::bind_front_handler(&Listener::OnRetryTimer, shared_from_this()));
    return;
  }
  beast::error_code ignored;
  socket.set_option(net::ip::tcp::no_delay(true), ignored);
  std::make_shared<HttpSession>(std::move(socket), context_)->Run();
  DoAccept();
}

void Listener::OnRetryTimer(beast::error_code ec) {
  if (!ec) {
    DoAccept();
  }
}

}  // namespace wsbridge
