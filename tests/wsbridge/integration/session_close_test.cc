// The closing handshake of one WebSocketSession, on an io loop the test holds: the test
// chooses the order in which the loop sees the bridge's own close and the browser's bytes,
// instead of hoping a busy machine produces it.

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "roomd/grpc/server.h"
#include "wsbridge/bridge_context.h"
#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/http/origin_policy.h"
#include "wsbridge/http/static_files.h"
#include "wsbridge/io_threads.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_client.h"
#include "wsbridge/websocket/websocket_session.h"

namespace wsbridge::testing {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;

// How long a step may take before the test gives up on it (a failure, never a pace).
constexpr absl::Duration kStepLimit = absl::Seconds(10);

// One masked client frame with FIN set (the payloads here are short).
std::string ClientFrame(std::uint8_t opcode, const std::string& payload) {
  const std::uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  frame.push_back(static_cast<char>(0x80 | payload.size()));
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  }
  return frame;
}

std::string ClosePayload(std::uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

class SessionCloseTest : public ::testing::Test {
 protected:
  SessionCloseTest() {
    options_.listen = "127.0.0.1:0";
    // Long enough that only a real end of the handshake ends the session within the test.
    options_.handshake_timeout = absl::Minutes(5);
  }

  void SetUp() override {
    roomd::ServerOptions roomd_options;
    roomd_options.listen = "127.0.0.1:0";
    roomd_options.shutdown_grace = absl::Seconds(1);
    auto server = roomd::RoomServer::Start(roomd_options);
    ASSERT_TRUE(server.ok()) << server.status();
    roomd_ = *std::move(server);
    options_.roomd = roomd_->address();
    roomd_client_ = std::make_unique<RoomdClient>(options_, &codec_);
    context_ = BridgeContext{&options_, &codec_, &origins_, &files_, roomd_client_.get(),
                             &sessions_, nullptr};
    loop_.Start();
  }

  void TearDown() override {
    client_.close();
    sessions_.WaitEmpty(kStepLimit);
    if (roomd_client_) {
      roomd_client_->CancelAll();
      roomd_client_->WaitForStreams(kStepLimit);
    }
    loop_.Stop();  // a session still there goes with the loop, before the roomd client
  }

  // Connects the test's browser, upgrades it into a WebSocketSession on loop_, and
  // returns that session (held weakly: only its own handlers keep it alive).
  std::weak_ptr<WebSocketSession> OpenSession() {
    net::ip::tcp::acceptor acceptor(client_ioc_, {net::ip::make_address("127.0.0.1"), 0});
    client_.connect(acceptor.local_endpoint());
    // Every blocking read of the browser below ends within kStepLimit.
    const timeval limit{absl::ToInt64Seconds(kStepLimit), 0};
    setsockopt(client_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    net::write(client_, net::buffer(std::string(
                            "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n")));

    net::ip::tcp::socket server = acceptor.accept(loop_.first());
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::read(server, buffer, request);
    auto session = std::make_shared<WebSocketSession>(std::move(server), context_);
    net::post(loop_.first(), [session, request = std::move(request)]() mutable {
      session->Run(std::move(request));
    });

    absl::StatusOr<std::string> head = ReadUntil("\r\n\r\n");
    EXPECT_TRUE(head.ok()) << "no upgrade response: " << head.status();
    if (head.ok()) {
      EXPECT_EQ(head->rfind("HTTP/1.1 101", 0), 0u) << *head;
    }
    return session;
  }

  // Blocks loop_ until the returned promise is set: what arrives meanwhile queues up.
  std::shared_ptr<std::promise<void>> HoldLoop() {
    auto release = std::make_shared<std::promise<void>>();
    auto held = std::make_shared<std::promise<void>>();
    std::future<void> holding = held->get_future();
    net::post(loop_.first(), [released = release->get_future(), held]() mutable {
      held->set_value();
      released.wait();
    });
    holding.wait();
    return release;
  }

  // Reads until `end` has arrived, or with an empty `end`, until the bridge ends the TCP
  // connection; the bytes read, or why that did not happen within kStepLimit. (recv
  // itself: asio's blocking read waits out SO_RCVTIMEO's timeouts in poll.)
  absl::StatusOr<std::string> ReadUntil(absl::string_view end) {
    std::string received;
    char chunk[512];
    while (end.empty() || !absl::StrContains(received, end)) {
      const ssize_t n = ::recv(client_.native_handle(), chunk, sizeof(chunk), 0);
      if (n == 0 && end.empty()) {
        return received;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return absl::DeadlineExceededError(absl::StrCat(
            "after ", received.size(), " bytes: ",
            n == 0 ? "the connection ended" : std::strerror(errno)));
      }
      received.append(chunk, static_cast<std::size_t>(n));
    }
    return received;
  }

  BridgeOptions options_;
  const JsonCodec codec_{};
  const OriginPolicy origins_{{}};
  const StaticFiles files_{"."};
  LiveSet<WebSocketSession> sessions_;
  std::unique_ptr<roomd::RoomServer> roomd_;
  std::unique_ptr<RoomdClient> roomd_client_;
  IoThreads loop_{1};  // the sessions' loop; destroyed first
  BridgeContext context_{};
  net::io_context client_ioc_;
  net::ip::tcp::socket client_{client_ioc_};
};

// The browser closes, right after one last message, just as the bridge closes too. The
// loop is held meanwhile; then the message and the browser's close frame arrive in one
// piece. The session handles one message per turn of the loop, so the bridge's close
// (queued while the loop was held) goes out before the browser's close frame is read: the
// frames cross. Both must still finish: the bridge tears the connection down and the
// session ends (its handshake timeout is far away).
TEST_F(SessionCloseTest, CloseFramesThatCrossAreBothAnswered) {
  std::weak_ptr<WebSocketSession> session = OpenSession();
  ASSERT_FALSE(HasFailure());

  std::shared_ptr<std::promise<void>> release = HoldLoop();
  const std::string last_words =
      ClientFrame(0x1, R"({"typing":{"active":true}})") + ClientFrame(0x8, ClosePayload(1000));
  net::write(client_, net::buffer(last_words));
  session.lock()->GoAway();
  release->set_value();

  absl::StatusOr<std::string> received = ReadUntil(/*end=*/"");
  ASSERT_TRUE(received.ok()) << "the bridge did not end the connection within "
                             << absl::FormatDuration(kStepLimit) << ": " << received.status();
  // The bridge's close frame: opcode 8, then 1001 "going away".
  ASSERT_GE(received->size(), 4u);
  EXPECT_EQ(static_cast<std::uint8_t>((*received)[0]), 0x88);
  EXPECT_EQ(received->substr(2, 2), ClosePayload(1001));
  client_.close();
  EXPECT_TRUE(sessions_.WaitEmpty(kStepLimit)) << "the session did not end";
}

}  // namespace
}  // namespace wsbridge::testing
