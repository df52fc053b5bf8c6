#include "bench/ws_client.h"

#include <netinet/in.h>

#include <chrono>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/json_frame_decoder.h"
#include "bench/run_state.h"

namespace bench {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

// A Welcome lists everyone online: big rooms make big frames.
constexpr std::size_t kMaxFrameBytes = 64 << 20;

}  // namespace

WsClient::WsClient(net::io_context& ioc, Participant* participant, net::ip::tcp::endpoint target,
                   net::ip::address source, std::string host, std::string room,
                   std::chrono::nanoseconds handshake_timeout)
    : ioc_(ioc),
      participant_(participant),
      target_(std::move(target)),
      source_(std::move(source)),
      host_(std::move(host)),
      room_(std::move(room)),
      handshake_timeout_(handshake_timeout),
      ws_(ioc) {}

void WsClient::Start() {
  net::post(ioc_, [this] { DoStart(); });
}

void WsClient::Close() {
  net::post(ioc_, [this] { DoClose(); });
}

void WsClient::DoStart() {
  auto& socket = ws_.next_layer();
  boost::system::error_code ec;
  socket.open(target_.protocol(), ec);
  if (!ec && !source_.is_unspecified()) {
    // Let the kernel pick the port at connect time, per destination, not at bind time.
    const int on = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
    socket.bind(net::ip::tcp::endpoint(source_, 0), ec);
  }
  if (ec) {
    End(absl::StrCat("socket: ", ec.message()));
    return;
  }
  socket.async_connect(target_, [this](const boost::system::error_code& e) { OnConnect(e); });
}

void WsClient::OnConnect(const boost::system::error_code& ec) {
  if (ec) {
    End(absl::StrCat("connect: ", ec.message()));
    return;
  }
  boost::system::error_code ignored;
  ws_.next_layer().set_option(net::ip::tcp::no_delay(true), ignored);
  // A busy bridge may take long to upgrade while a big room joins: allow the whole
  // connect phase. The same limit bounds the closing handshake.
  ws_.set_option(websocket::stream_base::timeout{
      std::chrono::duration_cast<websocket::stream_base::duration>(handshake_timeout_),
      websocket::stream_base::none(), /*keep_alive_pings=*/false});
  ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(beast::http::field::user_agent, "chat_bench");
  }));
  ws_.read_message_max(kMaxFrameBytes);
  ws_.auto_fragment(false);
  ws_.async_handshake(host_, "/chat",
                      [this](const boost::system::error_code& e) { OnHandshake(e); });
}

void WsClient::OnHandshake(const boost::system::error_code& ec) {
  if (ec) {
    End(absl::StrCat("handshake: ", ec.message()));
    return;
  }
  open_ = true;
  ws_.text(true);
  Enqueue(absl::StrCat(R"({"join":{"room":")", room_, R"(","email":")", participant_->Email(),
                       R"("}})"));
  DoRead();
  if (close_wanted_) {
    DoClose();
  }
}

void WsClient::SendMessage(const std::string& text, const std::string& client_id) {
  // Benchmark texts and ids hold nothing JSON escapes.
  Enqueue(absl::StrCat(R"({"send":{"text":")", text, R"(","clientId":")", client_id, R"("}})"));
}

void WsClient::Enqueue(std::string frame) {
  if (!open_ || close_wanted_) {
    return;
  }
  queue_.push_back(std::move(frame));  // bounded by the sender's window
  DoWrite();
}

void WsClient::DoWrite() {
  if (writing_ || !open_) {
    return;
  }
  if (close_wanted_) {
    if (!close_started_) {
      close_started_ = true;
      writing_ = true;
      ws_.async_close(websocket::close_code::normal,
                      [this](const boost::system::error_code& e) { OnClose(e); });
    }
    return;
  }
  if (queue_.empty()) {
    return;
  }
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  ws_.async_write(net::buffer(in_flight_),
                  [this](const boost::system::error_code& e, std::size_t) { OnWrite(e); });
}

void WsClient::OnWrite(const boost::system::error_code& ec) {
  writing_ = false;
  if (ec) {
    End(absl::StrCat("write: ", ec.message()));
    return;
  }
  DoWrite();
}

void WsClient::DoRead() {
  ws_.async_read(read_buffer_,
                 [this](const boost::system::error_code& e, std::size_t) { OnRead(e); });
}

void WsClient::OnRead(const boost::system::error_code& ec) {
  if (ec) {
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      End(absl::StrCat("closed by the server: ", reason.code, " ",
                       absl::string_view(reason.reason.data(), reason.reason.size())));
    } else {
      End(absl::StrCat("read: ", ec.message()));
    }
    return;
  }
  const int64_t now = NowNanos();
  const auto data = read_buffer_.cdata();
  const absl::Status status = JsonFrameDecoder::Decode(
      absl::string_view(static_cast<const char*>(data.data()), data.size()), now, participant_);
  read_buffer_.consume(read_buffer_.size());
  if (!status.ok()) {
    participant_->OnError("BENCH", status.message(), "");
  }
  DoRead();
}

void WsClient::DoClose() {
  close_wanted_ = true;
  if (ended_) {
    return;
  }
  if (!open_) {
    // Still connecting: abandon the attempt.
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
    return;
  }
  queue_.clear();
  DoWrite();
}

void WsClient::OnClose(const boost::system::error_code& ec) {
  writing_ = false;
  if (ec) {
    End(absl::StrCat("close: ", ec.message()));
    return;
  }
  // The pending read completes with `closed` and ends the client.
}

void WsClient::End(std::string why) {
  if (ended_) {
    return;
  }
  ended_ = true;
  open_ = false;
  queue_.clear();
  boost::system::error_code ignored;
  ws_.next_layer().close(ignored);
  participant_->OnEnded(why);
}

}  // namespace bench
