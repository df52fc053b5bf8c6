#include "wsbridge/http/listener.h"

#include <chrono>

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>

#include "absl/strings/str_cat.h"
#include "wsbridge/http/http_session.h"
#include "wsbridge/log.h"

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;

// After an accept error such as EMFILE, pause before accepting again instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

// Asio has no name for SO_REUSEPORT; this is its own boolean option type over it.
using ReusePort = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

bool IsPowerOfTen(uint64_t n) {
  while (n >= 10 && n % 10 == 0) {
    n /= 10;
  }
  return n == 1;
}

}  // namespace

Listener::Listener(IoThreads* io, const BridgeContext& context)
    : io_(io),
      context_(context),
      acceptor_(io->first()),
      retry_timer_(acceptor_.get_executor()),
      limiter_(AddressLimiter::Create(context.options->max_connections_per_address)) {}

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
  if (context_.options->reuse_port) {
    acceptor_.set_option(ReusePort(true), ec);
    if (ec) {
      return fail("set SO_REUSEPORT on");
    }
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
  acceptor_.async_accept(io_->Next(),
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
  const auto remote = socket.remote_endpoint(ignored);
  const std::string address = ignored ? std::string("unknown") : remote.address().to_string();
  std::shared_ptr<const AddressLimiter::Slot> slot = limiter_->TryAcquire(address);
  if (slot == nullptr) {
    Refuse(std::move(socket), address);
    DoAccept();
    return;
  }
  socket.set_option(net::ip::tcp::no_delay(true), ignored);
  BridgeContext context = context_;
  context.address_slot = std::move(slot);
  if (context_.tls != nullptr) {
    context.tls_context = context_.tls->Current();
    auto tls = std::make_unique<TlsStream>(std::move(socket), *context.tls_context);
    std::make_shared<HttpSession>(std::move(tls), context)->Run();
  } else {
    std::make_shared<HttpSession>(std::move(socket), context)->Run();
  }
  DoAccept();
}

void Listener::Refuse(net::ip::tcp::socket socket, const std::string& address) {
  // A flood would flood the log too: one line at the 1st, 10th, 100th, ... refusal.
  const uint64_t refused = refused_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (IsPowerOfTen(refused)) {
    LogLine(absl::StrCat("refused ", refused, " connection(s) so far; latest: ", address,
                         " already has ", limiter_->max_per_address(),
                         " (--max_connections_per_address)"));
  }
  struct Refusal {
    net::ip::tcp::socket socket;
    std::string response;
  };
  const std::string body = absl::StrCat("too many connections from your address (limit ",
                                        limiter_->max_per_address(), ")\n");
  auto refusal = std::make_shared<Refusal>(Refusal{
      std::move(socket),
      absl::StrCat("HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body)});
  net::async_write(refusal->socket, net::buffer(refusal->response),
                   [refusal](beast::error_code, std::size_t) {
                     beast::error_code ignored;
                     refusal->socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
                     refusal->socket.close(ignored);
                   });
}

void Listener::OnRetryTimer(beast::error_code ec) {
  if (!ec) {
    DoAccept();
  }
}

}  // namespace wsbridge
