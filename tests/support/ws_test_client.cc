#include "tests/support/ws_test_client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"

namespace wsbridge::testing {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;

absl::Status ToStatus(beast::error_code ec, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

beast::string_view View(absl::string_view text) {
  return beast::string_view(text.data(), text.size());
}

}  // namespace

WsTestClient::WsTestClient() : ws_(ioc_) {}

absl::Status WsTestClient::RunUntil(const std::function<bool()>& done, absl::Duration timeout,
                                    absl::string_view what) {
  ioc_.restart();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    ioc_.run_one_until(deadline);
  }
  if (done()) {
    return absl::OkStatus();
  }
  beast::get_lowest_layer(ws_).close();  // completes the pending operations with errors
  ioc_.restart();
  ioc_.run();
  return absl::DeadlineExceededError(absl::StrCat(what, ": nothing within ", absl::FormatDuration(timeout)));
}

absl::StatusOr<std::unique_ptr<WsTestClient>> WsTestClient::Connect(int port, Options options) {
  std::unique_ptr<WsTestClient> client(new WsTestClient());
  auto& socket = beast::get_lowest_layer(client->ws_).socket();
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                                        static_cast<unsigned short>(port));
  beast::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) {
    return ToStatus(ec, "open");
  }
  if (options.receive_buffer_bytes > 0) {
    socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
  }
  bool done = false;
  beast::get_lowest_layer(client->ws_).async_connect(endpoint, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (absl::Status s = client->RunUntil(done, kWait, "connect"); !s.ok()) {
    return s;
  }
  if (ec) {
    return ToStatus(ec, "connect");
  }
  client->ws_.set_option(websocket::stream_base::decorator(
      [origin = options.origin](websocket::request_type& request) {
        if (!origin.empty()) {
          request.set(beast::http::field::origin, origin);
        }
      }));
  client->ws_.control_callback([raw = client.get()](websocket::frame_type kind,
                                                    beast::string_view payload) {
    if (kind == websocket::frame_type::ping) {
      ++raw->pings_;
    } else if (kind == websocket::frame_type::pong) {
      ++raw->pongs_;
      raw->last_pong_ = std::string(payload);
    }
  });
  if (options.deflate) {
    websocket::permessage_deflate deflate;
    deflate.client_enable = true;
    client->ws_.set_option(deflate);
  }
  websocket::response_type response;
  done = false;
  client->ws_.async_handshake(response, absl::StrCat("127.0.0.1:", port), options.target,
                              [&](beast::error_code e) {
                                ec = e;
                                done = true;
                              });
  if (absl::Status s = client->RunUntil(done, kWait, "handshake"); !s.ok()) {
    return s;
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("upgrade refused with HTTP ", response.result_int(), ": ", ec.message()));
  }
  client->extensions_ = std::string(response[beast::http::field::sec_websocket_extensions]);
  return client;
}

absl::Status WsTestClient::SendText(absl::string_view text) {
  bool done = false;
  beast::error_code ec;
  ws_.text(true);
  ws_.async_write(net::buffer(text.data(), text.size()), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (absl::Status s = RunUntil(done, kWait, "write"); !s.ok()) {
    return s;
  }
  return ec ? ToStatus(ec, "write") : absl::OkStatus();
}

absl::Status WsTestClient::SendFragments(const std::vector<std::string>& parts,
                                         absl::string_view ping) {
  ws_.text(true);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    bool done = false;
    beast::error_code ec;
    ws_.async_write_some(i + 1 == parts.size(), net::buffer(parts[i]),
                         [&](beast::error_code e, std::size_t) {
                           ec = e;
                           done = true;
                         });
    if (absl::Status s = RunUntil(done, kWait, "write"); !s.ok()) {
      return s;
    }
    if (ec) {
      return ToStatus(ec, "write");
    }
    if (i == 0 && !ping.empty()) {
      done = false;
      ws_.async_ping(websocket::ping_data(ping.data(), ping.size()), [&](beast::error_code e) {
        ec = e;
        done = true;
      });
      if (absl::Status s = RunUntil(done, kWait, "ping"); !s.ok()) {
        return s;
      }
      if (ec) {
        return ToStatus(ec, "ping");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WsTestClient::SendRaw(absl::string_view bytes) {
  beast::error_code ec;
  net::write(beast::get_lowest_layer(ws_).socket(), net::buffer(bytes.data(), bytes.size()), ec);
  return ec ? ToStatus(ec, "raw write") : absl::OkStatus();
}

absl::Status WsTestClient::SendBinary(absl::string_view bytes) {
  bool done = false;
  beast::error_code ec;
  ws_.binary(true);
  ws_.async_write(net::buffer(bytes.data(), bytes.size()), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  absl::Status s = RunUntil(done, kWait, "write");
  ws_.text(true);
  if (!s.ok()) {
    return s;
  }
  return ec ? ToStatus(ec, "write") : absl::OkStatus();
}

absl::Status WsTestClient::Join(absl::string_view room, absl::string_view email) {
  json::object join;
  join["room"] = View(room);
  join["email"] = View(email);
  json::object event;
  event["join"] = std::move(join);
  return SendText(json::serialize(event));
}

absl::Status WsTestClient::Send(absl::string_view text) {
  json::object send;
  send["text"] = View(text);
  json::object event;
  event["send"] = std::move(send);
  return SendText(json::serialize(event));
}

void WsTestClient::StartRead() {
  if (read_pending_) {
    return;
  }
  read_pending_ = true;
  read_done_ = false;
  buffer_.clear();
  ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
    read_ec_ = ec;
    read_done_ = true;
  });
}

absl::StatusOr<std::string> WsTestClient::FinishRead() {
  read_pending_ = false;
  read_done_ = false;
  if (read_ec_ == websocket::error::closed) {
    closed_ = true;
    close_reason_ = ws_.reason();
    return absl::FailedPreconditionError(
        absl::StrCat("closed with ", close_reason_.code, " ",
                     absl::string_view(close_reason_.reason.data(), close_reason_.reason.size())));
  }
  if (read_ec_) {
    return ToStatus(read_ec_, "read");
  }
  ++frames_;
  return beast::buffers_to_string(buffer_.data());
}

absl::StatusOr<std::string> WsTestClient::ReadFrame(absl::Duration timeout) {
  if (closed_) {
    return absl::FailedPreconditionError(absl::StrCat("closed with ", close_reason_.code));
  }
  StartRead();
  if (absl::Status s = RunUntil(read_done_, timeout, "read"); !s.ok()) {
    read_pending_ = false;
    return s;
  }
  return FinishRead();
}

absl::Status WsTestClient::QueueFrame(const std::string& frame) {
  boost::system::error_code ec;
  json::value value = json::parse(frame, ec);
  if (ec || !value.is_object()) {
    return absl::InternalError(absl::StrCat("frame is not a JSON object: ", frame));
  }
  json::object& object = value.as_object();
  if (const json::value* batch = object.if_contains("batch")) {
    for (const json::value& inner : batch->as_object().at("events").as_array()) {
      pending_.push_back(inner.as_object());
    }
  } else {
    pending_.push_back(std::move(object));
  }
  return absl::OkStatus();
}

absl::StatusOr<WsTestClient::Event> WsTestClient::ReadEvent(const Predicate& predicate,
                                                            absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    while (!pending_.empty()) {
      Event event = std::move(pending_.front());
      pending_.pop_front();
      if (predicate(event)) {
        return event;
      }
    }
    auto frame = ReadFrame(std::max(deadline - absl::Now(), absl::Milliseconds(1)));
    if (!frame.ok()) {
      return frame.status();
    }
    if (absl::Status s = QueueFrame(*frame); !s.ok()) {
      return s;
    }
  }
}

absl::Status WsTestClient::WaitForPings(int count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (pings_ < count) {
    if (closed_) {
      return absl::FailedPreconditionError("closed while waiting for pings");
    }
    StartRead();
    absl::Status s = RunUntil([&] { return pings_ >= count || read_done_; },
                              std::max(deadline - absl::Now(), absl::Milliseconds(1)), "pings");
    if (!s.ok()) {
      read_pending_ = false;
      return s;
    }
    if (read_done_) {
      auto frame = FinishRead();
      if (!frame.ok()) {
        return frame.status();
      }
      if (absl::Status q = QueueFrame(*frame); !q.ok()) {
        return q;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<websocket::close_reason> WsTestClient::ReadClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!closed_) {
    auto frame = ReadFrame(std::max(deadline - absl::Now(), absl::Milliseconds(1)));
    if (!frame.ok() && !closed_) {
      return frame.status();
    }
  }
  return close_reason_;
}

absl::Status WsTestClient::Close(websocket::close_code code) {
  bool done = false;
  beast::error_code ec;
  ws_.async_close(websocket::close_reason(code), [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (absl::Status s = RunUntil(done, kWait, "close"); !s.ok()) {
    return s;
  }
  return ec ? ToStatus(ec, "close") : absl::OkStatus();
}

WsTestClient::Predicate IsWelcome() {
  return [](const WsTestClient::Event& e) { return e.contains("welcome"); };
}

WsTestClient::Predicate IsMessage(const std::string& text) {
  return [text](const WsTestClient::Event& e) { return Str(e, {"message", "text"}) == text; };
}

WsTestClient::Predicate IsAnyMessage() {
  return [](const WsTestClient::Event& e) { return e.contains("message"); };
}

WsTestClient::Predicate IsJoined(const std::string& name) {
  return [name](const WsTestClient::Event& e) {
    return Str(e, {"presence", "joined", "name"}) == name;
  };
}

WsTestClient::Predicate IsLeft(const std::string& name) {
  return [name](const WsTestClient::Event& e) {
    return Str(e, {"presence", "left", "name"}) == name;
  };
}

WsTestClient::Predicate IsError(const std::string& code) {
  return [code](const WsTestClient::Event& e) { return Str(e, {"error", "code"}) == code; };
}

std::string Str(const boost::json::object& event, std::initializer_list<const char*> path) {
  const json::object* object = &event;
  const json::value* value = nullptr;
  for (const char* key : path) {
    if (object == nullptr) {
      return "";
    }
    value = object->if_contains(key);
    if (value == nullptr) {
      return "";
    }
    object = value->if_object();
  }
  if (value == nullptr || !value->is_string()) {
    return "";
  }
  return std::string(value->as_string().c_str());
}

std::string ReasonOf(const boost::beast::websocket::close_reason& reason) {
  return std::string(reason.reason.data(), reason.reason.size());
}

}  // namespace wsbridge::testing
