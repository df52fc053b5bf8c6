// Failed TLS handshakes do not flood the logs: hundreds of plaintext and garbage
// connections against roomd's and wsbridge's TLS ports (the real binaries) leave a few
// lines a second and a "N more ... suppressed" count, while a session that joined over
// TLS before the flood keeps chatting through it.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/ops/ops_fixture.h"
#include "tests/support/chat_test_client.h"

namespace chat::testing {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

constexpr absl::Duration kWait = absl::Seconds(20);
constexpr int kFlood = 300;      // failed handshakes per port
constexpr int kLinesPerSecond = 5;  // the daemons' limit for these lines

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Starts `op(done)` on `ioc` and runs it until `done` or kWait.
template <typename Op>
bool RunUntilDone(net::io_context& ioc, Op op) {
  bool done = false;
  op(done);
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(kWait);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_for(std::chrono::milliseconds(50));
  }
  return done;
}

// One connection that is not TLS: an HTTP request or random-looking bytes, then reads
// until the server closes it.
void PlaintextAttempt(int port, int i) {
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  socket.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) {
    return;  // a full backlog counts as an attempt too
  }
  // Letters are no TLS record type: the server knows at once (a 0x16 byte would make it
  // wait for the rest of a record).
  const std::string bytes = i % 2 == 0 ? std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                                       : std::string(200, static_cast<char>('A' + i % 26));
  net::write(socket, net::buffer(bytes), ec);
  char sink[4096];
  RunUntilDone(ioc, [&](bool& done) {
    net::async_read(socket, net::buffer(sink),
                    [&](boost::system::error_code, std::size_t) { done = true; });
  });
}

// Lines about failed handshakes (not the counts of suppressed ones).
int HandshakeLines(const std::string& output) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    const std::string lower = absl::AsciiStrToLower(line);
    if (absl::StrContains(lower, "handshake") && !absl::StrContains(lower, "suppressed")) {
      ++lines;
    }
  }
  return lines;
}

// A browser over wss that joined a room: writes a text frame, reads until one holds a
// needle; every step bounded by kWait.
class WssSession {
 public:
  explicit WssSession(const std::string& ca_file) : tls_(ssl::context::tls_client), ws_(ioc_, tls_) {
    tls_.load_verify_file(ca_file);
    ws_.next_layer().set_verify_mode(ssl::verify_peer);
    ws_.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  }

  bool Open(int port) {
    beast::error_code ec;
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port));
    bool ok = RunUntilDone(ioc_, [&](bool& done) {
      beast::get_lowest_layer(ws_).async_connect(endpoint, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
    });
    ok = ok && !ec && RunUntilDone(ioc_, [&](bool& done) {
      ws_.next_layer().async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
    });
    ok = ok && !ec && RunUntilDone(ioc_, [&](bool& done) {
      ws_.async_handshake(absl::StrCat("127.0.0.1:", port), "/chat", [&](beast::error_code e) {
        ec = e;
        done = true;
      });
    });
    return ok && !ec;
  }

  bool Write(const std::string& text) {
    beast::error_code ec;
    ws_.text(true);
    return RunUntilDone(ioc_, [&](bool& done) {
             ws_.async_write(net::buffer(text), [&](beast::error_code e, std::size_t) {
               ec = e;
               done = true;
             });
           }) &&
           !ec;
  }

  bool ReadUntil(absl::string_view needle) {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      beast::error_code ec;
      buffer_.clear();
      if (!RunUntilDone(ioc_, [&](bool& done) {
            ws_.async_read(buffer_, [&](beast::error_code e, std::size_t) {
              ec = e;
              done = true;
            });
          }) ||
          ec) {
        return false;
      }
      if (absl::StrContains(beast::buffers_to_string(buffer_.data()), needle)) {
        return true;
      }
    }
    return false;
  }

 private:
  net::io_context ioc_;
  ssl::context tls_;
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
};

class HandshakeLogTest : public OpsFixture {
 protected:
  void SetUp() override {
    OpsFixture::SetUp();
    certs_ = (scratch_ / "certs").string();
    const std::string command = absl::StrCat(MAKE_TEST_CERTS, " ", certs_);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // Floods `port` with failed handshakes until `child` logged a suppressed count (at least
  // kFlood of them); checks the lines stayed within the limit for the time it took.
  void FloodAndCheck(int port, ChildProcess& child) {
    const absl::Time start = absl::Now();
    int attempts = 0;
    while (attempts < kFlood || (!absl::StrContains(child.Output(), "suppressed") &&
                                 absl::Now() - start < kWait)) {
      PlaintextAttempt(port, attempts++);
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const std::string output = child.Output();
    EXPECT_TRUE(absl::StrContains(output, "suppressed")) << output;
    const int lines = HandshakeLines(output);
    EXPECT_GE(lines, 1) << output;
    // Each started second allows kLinesPerSecond; one more window for the edges.
    EXPECT_LE(lines, kLinesPerSecond * (static_cast<int>(seconds) + 2))
        << attempts << " attempts in " << seconds << " s:\n" << output;
    EXPECT_LT(lines, attempts / 2) << output;
  }

  std::string certs_;
};

TEST_F(HandshakeLogTest, PlaintextFloodsAreRateLimitedAndSessionsGoOn) {
  // roomd over TLS, and the bridge over https/wss in front of it.
  auto roomd = StartListening({ROOMD_BINARY, "--listen=127.0.0.1:0",
                               absl::StrCat("--tls_cert_file=", certs_, "/server.pem"),
                               absl::StrCat("--tls_key_file=", certs_, "/server.key")},
                              "listening on 127.0.0.1:");
  ASSERT_TRUE(roomd.ok()) << roomd.status();
  roomd_ = *std::move(roomd);
  auto bridge = StartListening(
      {WSBRIDGE_BINARY, "--listen=127.0.0.1:0", absl::StrCat("--roomd=127.0.0.1:", roomd_.port),
       "--web_root=" WEB_ROOT, "--threads=2", "--shutdown_timeout=1s",
       absl::StrCat("--tls_cert_file=", certs_, "/server.pem"),
       absl::StrCat("--tls_key_file=", certs_, "/server.key"),
       absl::StrCat("--roomd_ca_file=", certs_, "/ca.pem")},
      "listening on https://127.0.0.1:");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  bridge_ = *std::move(bridge);

  // Before the flood: a gRPC client over TLS and a browser over wss, in one room.
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ReadFile(certs_ + "/ca.pem");
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", roomd_.port),
                                     grpc::SslCredentials(tls));
  roomd::testing::ChatTestClient grpc_client(channel);
  ASSERT_TRUE(grpc_client.Join("lobby", "grpc@example.com"));
  ASSERT_TRUE(grpc_client.WaitForWelcome().has_value());
  WssSession browser(certs_ + "/ca.pem");
  ASSERT_TRUE(browser.Open(bridge_.port));
  ASSERT_TRUE(browser.Write(R"({"join":{"room":"lobby","email":"web@example.com"}})"));
  ASSERT_TRUE(browser.ReadUntil("\"welcome\""));

  {
    SCOPED_TRACE("roomd");
    FloodAndCheck(roomd_.port, *roomd_.process);
  }
  {
    SCOPED_TRACE("wsbridge");
    FloodAndCheck(bridge_.port, *bridge_.process);
  }

  // Both sessions went on: each hears the other.
  ASSERT_TRUE(grpc_client.Send("from grpc"));
  EXPECT_TRUE(browser.ReadUntil("from grpc"));
  ASSERT_TRUE(browser.Write(R"({"send":{"text":"from the browser"}})"));
  EXPECT_TRUE(grpc_client
                  .WaitFor([](const chat::v1::ServerEvent& event) {
                    return event.has_message() && event.message().text() == "from the browser";
                  })
                  .has_value());
}

}  // namespace
}  // namespace chat::testing
