// wsbridge --tls_cert_file/--tls_key_file: browsers over wss (a Beast client with asio ssl,
// trusting the test CA) join and chat; a plaintext client against the TLS port fails
// cleanly while the others go on; a reloaded certificate (BridgeServer::ReloadTls, and
// SIGHUP to the binary) serves new connections and the open ones keep theirs.
// A wss browser that stops reading is dropped by the outbound queue limit (4008) while the
// others get every message in order, as over plaintext.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/support/bridge_fixture.h"
#include "tests/support/child_process.h"
#include "tests/support/http_test_client.h"

namespace wsbridge::testing {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;

// A browser over wss: TLS that verifies the bridge's certificate against `ca_file`, then
// the WebSocket. Each call waits on its operation, bounded by kWait.
class WssClient {
 public:
  // `receive_buffer_bytes` > 0: the socket's receive buffer, set before connecting (a
  // reader that stops then backs the bridge up quickly).
  // `deflate`: offers permessage-deflate, as browsers do (Beast then inflates).
  static absl::StatusOr<std::unique_ptr<WssClient>> Connect(int port, const std::string& ca_file,
                                                            int receive_buffer_bytes = 0,
                                                            bool deflate = false) {
    auto client = std::unique_ptr<WssClient>(new WssClient(ca_file));
    if (deflate) {
      websocket::permessage_deflate offer;
      offer.client_enable = true;
      client->ws_.set_option(offer);
    }
    return client->Open(port, receive_buffer_bytes)
               ? std::move(client)
               : absl::StatusOr<std::unique_ptr<WssClient>>(client->error_);
  }

  absl::Status SendText(const std::string& text) {
    bool done = false;
    beast::error_code ec;
    ws_.text(true);
    ws_.async_write(net::buffer(text), [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    return Finish(done, ec, "write");
  }

  // Reads frames until one contains `needle`; returns it.
  absl::StatusOr<std::string> ReadUntil(absl::string_view needle) {
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(kWait);
    while (std::chrono::steady_clock::now() < deadline) {
      bool done = false;
      beast::error_code ec;
      buffer_.clear();
      ws_.async_read(buffer_, [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
      });
      if (absl::Status s = Finish(done, ec, "read"); !s.ok()) {
        return s;
      }
      std::string frame = beast::buffers_to_string(buffer_.data());
      if (absl::StrContains(frame, needle)) {
        return frame;
      }
    }
    return absl::DeadlineExceededError(absl::StrCat("no frame with ", needle));
  }

  // The upgrade response's Sec-WebSocket-Extensions ("" when none was agreed).
  const std::string& extensions() const { return extensions_; }

  // Reads (and drops) frames until the bridge's close frame; returns its reason.
  absl::StatusOr<websocket::close_reason> ReadClose() {
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(kWait);
    while (std::chrono::steady_clock::now() < deadline) {
      bool done = false;
      beast::error_code ec;
      buffer_.clear();
      ws_.async_read(buffer_, [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
      });
      absl::Status status = Finish(done, ec, "read");
      if (ec == websocket::error::closed) {
        return ws_.reason();
      }
      if (!status.ok()) {
        return status;
      }
    }
    return absl::DeadlineExceededError("no close frame");
  }

 private:
  explicit WssClient(const std::string& ca_file) : ws_(ioc_, tls_) {
    tls_.load_verify_file(ca_file);
  }

  bool Open(int port, int receive_buffer_bytes) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port));
    bool done = false;
    beast::error_code ec;
    if (receive_buffer_bytes > 0) {
      net::ip::tcp::socket& socket = beast::get_lowest_layer(ws_).socket();
      socket.open(endpoint.protocol(), ec);
      if (!ec) {
        socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
      }
      if (ec) {
        error_ = absl::InternalError(absl::StrCat("socket: ", ec.message()));
        return false;
      }
    }
    beast::get_lowest_layer(ws_).async_connect(endpoint, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (error_ = Finish(done, ec, "connect"); !error_.ok()) {
      return false;
    }
    ws_.next_layer().set_verify_mode(ssl::verify_peer);
    ws_.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    done = false;
    ws_.next_layer().async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (error_ = Finish(done, ec, "TLS handshake"); !error_.ok()) {
      return false;
    }
    done = false;
    websocket::response_type response;
    ws_.async_handshake(response, absl::StrCat("127.0.0.1:", port), "/chat",
                        [&](beast::error_code e) {
                          ec = e;
                          done = true;
                        });
    error_ = Finish(done, ec, "upgrade");
    extensions_ = std::string(response[beast::http::field::sec_websocket_extensions]);
    return error_.ok();
  }

  // Runs the loop until `done` or kWait; on timeout closes the socket so nothing is left.
  absl::Status Finish(const bool& done, const beast::error_code& ec, absl::string_view what) {
    ioc_.restart();
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(kWait);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_until(deadline);
    }
    if (!done) {
      beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run();
      return absl::DeadlineExceededError(absl::StrCat(what, ": nothing within ",
                                                      absl::FormatDuration(kWait)));
    }
    return ec ? absl::UnavailableError(absl::StrCat(what, ": ", ec.message()))
              : absl::OkStatus();
  }

  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_client};
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  absl::Status error_;
  std::string extensions_;  // the upgrade response's Sec-WebSocket-Extensions
};

std::string JoinFrame(const std::string& room, const std::string& email) {
  return absl::StrCat(R"({"join":{"room":")", room, R"(","email":")", email, R"("}})");
}

std::string SendFrame(const std::string& text) {
  return absl::StrCat(R"({"send":{"text":")", text, R"("}})");
}

std::string MakeCerts(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/bridge_tls_", name, "_", getpid());
  const std::string command = absl::StrCat(MAKE_TEST_CERTS, " ", dir);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return dir;
}

class BridgeTlsTest : public BridgeFixture {
 protected:
  BridgeTlsTest() : certs_(MakeCerts("a")) {
    // The bridge reads its own copies, so a test can replace them and reload.
    std::filesystem::copy_file(certs_ + "/server.pem", certs_ + "/live.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(certs_ + "/server.key", certs_ + "/live.key",
                               std::filesystem::copy_options::overwrite_existing);
    bridge_options_.tls_cert_file = certs_ + "/live.pem";
    bridge_options_.tls_key_file = certs_ + "/live.key";
  }

  // A wss client that joined `room` as `email` and got its welcome, or nullptr (failure).
  std::unique_ptr<WssClient> JoinedOverTls(const std::string& room, const std::string& email,
                                           const std::string& ca_file, int port = 0) {
    auto client = WssClient::Connect(port == 0 ? bridge_port() : port, ca_file);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) {
      return nullptr;
    }
    EXPECT_TRUE((*client)->SendText(JoinFrame(room, email)).ok());
    auto welcome = (*client)->ReadUntil("\"welcome\"");
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    return welcome.ok() ? *std::move(client) : nullptr;
  }

  // Replaces the bridge's certificate files with those of a new CA's; returns its folder.
  std::string RotateCertificate() {
    const std::string next = MakeCerts("next");
    std::filesystem::copy_file(next + "/server.pem", certs_ + "/live.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(next + "/server.key", certs_ + "/live.key",
                               std::filesystem::copy_options::overwrite_existing);
    return next;
  }

  const std::string certs_;
};

TEST_F(BridgeTlsTest, WssClientsJoinAndChat) {
  auto ann = JoinedOverTls("lobby", "ann@example.com", certs_ + "/ca.pem");
  ASSERT_NE(ann, nullptr);
  auto bob = JoinedOverTls("lobby", "bob@example.com", certs_ + "/ca.pem");
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(ann->SendText(SendFrame("hello over wss")).ok());
  EXPECT_TRUE(bob->ReadUntil("hello over wss").ok());
  EXPECT_TRUE(ann->ReadUntil("hello over wss").ok());
  ASSERT_TRUE(bob->SendText(SendFrame("and back")).ok());
  EXPECT_TRUE(ann->ReadUntil("and back").ok());
}

TEST_F(BridgeTlsTest, ClientsThatDoNotTrustTheCertificateAreRefused) {
  const std::string other = MakeCerts("untrusted");
  auto client = WssClient::Connect(bridge_port(), other + "/ca.pem");
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("TLS handshake"), std::string::npos)
      << client.status();
}

TEST_F(BridgeTlsTest, PlaintextClientsFailCleanlyAndOthersGoOn) {
  auto ann = JoinedOverTls("lobby", "ann@example.com", certs_ + "/ca.pem");
  ASSERT_NE(ann, nullptr);
  // A plaintext WebSocket and a plaintext HTTP request: each gets its connection closed,
  // promptly (the bounded waits would report a hang).
  auto plain_ws = WsTestClient::Connect(bridge_port());
  EXPECT_FALSE(plain_ws.ok());
  auto plain_http = HttpGet(bridge_port(), "/index.html");
  EXPECT_FALSE(plain_http.ok() && plain_http->status == 200);
  // Ann's session never noticed; a newcomer over TLS joins and hears her.
  auto bob = JoinedOverTls("lobby", "bob@example.com", certs_ + "/ca.pem");
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(ann->SendText(SendFrame("still here")).ok());
  EXPECT_TRUE(bob->ReadUntil("still here").ok());
  EXPECT_TRUE(ann->ReadUntil("still here").ok());
}

TEST_F(BridgeTlsTest, AReloadedCertificateServesNewConnectionsAndKeepsOpenOnes) {
  auto ann = JoinedOverTls("lobby", "ann@example.com", certs_ + "/ca.pem");
  ASSERT_NE(ann, nullptr);
  // Rotate to a certificate from another CA, as SIGHUP does.
  const std::string next = RotateCertificate();
  ASSERT_TRUE(bridge_->ReloadTls().ok());

  EXPECT_FALSE(WssClient::Connect(bridge_port(), certs_ + "/ca.pem").ok())
      << "a new connection still got the old certificate";
  auto bob = JoinedOverTls("lobby", "bob@example.com", next + "/ca.pem");
  ASSERT_NE(bob, nullptr);
  // Ann's connection, on the old certificate, goes on both ways.
  ASSERT_TRUE(ann->SendText(SendFrame("after the rotation")).ok());
  EXPECT_TRUE(bob->ReadUntil("after the rotation").ok());
  EXPECT_TRUE(ann->ReadUntil("after the rotation").ok());
  ASSERT_TRUE(bob->SendText(SendFrame("welcome back")).ok());
  EXPECT_TRUE(ann->ReadUntil("welcome back").ok());
}

TEST_F(BridgeTlsTest, ABrokenCertificateIsNotLoadedAndTheOldOneStays) {
  std::filesystem::resize_file(certs_ + "/live.key", 10);
  EXPECT_FALSE(bridge_->ReloadTls().ok());
  auto ann = JoinedOverTls("lobby", "ann@example.com", certs_ + "/ca.pem");
  EXPECT_NE(ann, nullptr);
}

// The binary: SIGHUP reloads the certificate (instead of ending the process, SIGHUP's
// default) and the page's connection stays.
TEST_F(BridgeTlsTest, SighupMakesTheBinaryReloadItsCertificate) {
  absl::StatusOr<chat::testing::ListeningChild> bridge = chat::testing::StartListening(
      {WSBRIDGE_BINARY, "--listen=127.0.0.1:0", "--roomd=" + roomd_->address(),
       "--web_root=" + web_root_.string(), "--threads=1",
       "--tls_cert_file=" + certs_ + "/live.pem", "--tls_key_file=" + certs_ + "/live.key"},
      "listening on https://127.0.0.1:", kWait);
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  auto ann = JoinedOverTls("lobby", "ann@example.com", certs_ + "/ca.pem", bridge->port);
  ASSERT_NE(ann, nullptr);

  const std::string next = RotateCertificate();
  ASSERT_TRUE(bridge->process->Signal(SIGHUP).ok());
  ASSERT_TRUE(bridge->process->WaitForLine("SIGHUP: certificate reloaded").has_value())
      << bridge->process->Output();

  auto bob = JoinedOverTls("lobby", "bob@example.com", next + "/ca.pem", bridge->port);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(ann->SendText(SendFrame("after SIGHUP")).ok());
  EXPECT_TRUE(bob->ReadUntil("after SIGHUP").ok());
  EXPECT_TRUE(ann->ReadUntil("after SIGHUP").ok());
}

// A browser that takes no batches gets each message as a frame of its own, in order, also
// when many wait at once (the bridge then seals several frames into one record).
TEST_F(BridgeTlsTest, EachMessageIsAFrameOfItsOwnWhenManyWaitAtOnce) {
  const std::string ca = certs_ + "/ca.pem";
  auto ann = JoinedOverTls("lobby", "ann@example.com", ca);
  ASSERT_NE(ann, nullptr);
  auto bob = JoinedOverTls("lobby", "bob@example.com", ca);
  ASSERT_NE(bob, nullptr);
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; ++i) {  // bob reads nothing meanwhile
    ASSERT_TRUE(ann->SendText(SendFrame(absl::StrCat("burst ", i, "."))).ok());
  }
  for (int i = 0; i < kMessages; ++i) {
    auto message = bob->ReadUntil("{\"message\"");
    ASSERT_TRUE(message.ok()) << "message " << i << ": " << message.status();
    EXPECT_TRUE(absl::StartsWith(*message, "{\"message\""))
        << "not a frame of its own: " << message->substr(0, 200);
    ASSERT_TRUE(absl::StrContains(*message, absl::StrCat("\"text\":\"burst ", i, ".\"")))
        << "message " << i << " is not next: " << message->substr(0, 200);
    EXPECT_EQ(message->find("{\"message\"", 1), std::string::npos)
        << "two messages in one frame: " << message->substr(0, 200);
  }
}

class SlowTlsConsumerTest : public BridgeTlsTest {
 protected:
  SlowTlsConsumerTest() {
    // Small buffers so a few hundred KB are enough to back up a reader that stopped.
    bridge_options_.outbound_queue_bytes = 16 * 1024;
    bridge_options_.socket_send_buffer_bytes = 4096;
  }
};

// The frames go out sealed by the bridge itself (not through asio's TLS writes): a reader
// that stops still fills the outbound queue and is dropped, and nobody else waits for it.
TEST_F(SlowTlsConsumerTest, NonReaderIsClosedWhileOthersGetEveryMessageInOrder) {
  const std::string ca = certs_ + "/ca.pem";
  auto ann = JoinedOverTls("lobby", "ann@example.com", ca);
  ASSERT_NE(ann, nullptr);
  auto bob = JoinedOverTls("lobby", "bob@example.com", ca);
  ASSERT_NE(bob, nullptr);
  auto connected = WssClient::Connect(bridge_port(), ca, /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto carl = *std::move(connected);
  ASSERT_TRUE(carl->SendText(JoinFrame("lobby", "carl@example.com")).ok());
  ASSERT_TRUE(carl->ReadUntil("\"welcome\"").ok());
  // From here on carl reads nothing.

  const std::string filler(1000, 'x');
  constexpr int kMessages = 400;  // ~480 KB: far beyond carl's buffers and queue
  for (int i = 0; i < kMessages; ++i) {
    const std::string text = absl::StrCat(i, " ", filler);
    ASSERT_TRUE(ann->SendText(SendFrame(text)).ok());
    // Strictly the next message, for the sender and for the other reader.
    for (WssClient* reader : {ann.get(), bob.get()}) {
      auto message = reader->ReadUntil("{\"message\"");
      ASSERT_TRUE(message.ok()) << "message " << i << ": " << message.status();
      ASSERT_TRUE(absl::StrContains(*message, absl::StrCat("\"text\":\"", text, "\"")))
          << "message " << i << " is not next: " << message->substr(0, 200);
    }
  }
  // carl finally reads: what was already in flight, then the close frame.
  auto closed = carl->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 8);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(std::string(closed->reason.data(), closed->reason.size()).rfind("slow consumer", 0),
            0u);
}

// permessage-deflate over wss in a room big enough for roomd to coalesce presence, on the
// bridge's two io loops, with readers that take batches and readers that do not (sealed
// runs): every reader gets every message, in order. (The bridge refused deflate over wss
// while a stall seen there once was not understood.)
class DeflateOverWssTest : public BridgeTlsTest {
 protected:
  DeflateOverWssTest() {
    // The readers answer pings only while the test reads them: on a busy machine joining
    // them all outlasts the default ping and dead-peer times.
    bridge_options_.ping_interval = absl::Minutes(10);
    bridge_options_.dead_peer_timeout = absl::Minutes(5);
  }
};

TEST_F(DeflateOverWssTest, DeflateReadersInABigRoomGetEveryMessageInOrder) {
  const std::string ca = certs_ + "/ca.pem";
  constexpr int kReaders = 120;
  constexpr int kMessages = 100;
  std::vector<std::unique_ptr<WssClient>> readers;
  for (int i = 0; i < kReaders; ++i) {
    auto client = WssClient::Connect(bridge_port(), ca, /*receive_buffer_bytes=*/0,
                                     /*deflate=*/true);
    ASSERT_TRUE(client.ok()) << client.status();
    const std::string email = absl::StrCat("r", i, "@example.com");
    const std::string join =
        i % 2 == 0 ? JoinFrame("big", email)
                   : absl::StrCat(R"({"join":{"room":"big","email":")", email,
                                  R"(","acceptBatches":true}})");
    ASSERT_TRUE((*client)->SendText(join).ok());
    ASSERT_TRUE((*client)->ReadUntil("\"welcome\"").ok()) << "reader " << i;
    readers.push_back(*std::move(client));
  }
  ASSERT_TRUE(absl::StartsWith(readers[0]->extensions(), "permessage-deflate"))
      << readers[0]->extensions();
  auto ann = JoinedOverTls("big", "ann@example.com", ca);
  ASSERT_NE(ann, nullptr);
  // Texts that compress poorly, so the readers that wait back the bridge up (partial
  // writes) while the test reads the others.
  std::string filler(2000, 'a');
  std::uint32_t seed = 1;
  for (int i = 0; i < kMessages; ++i) {
    for (char& c : filler) {
      seed = seed * 1103515245u + 12345u;
      c = static_cast<char>('a' + (seed >> 16) % 26);
    }
    ASSERT_TRUE(ann->SendText(SendFrame(absl::StrCat("burst ", i, ".", filler))).ok());
  }
  for (int r = 0; r < kReaders; ++r) {
    int next = 0;
    while (next < kMessages) {
      auto frame = readers[r]->ReadUntil("\"text\":\"burst ");
      ASSERT_TRUE(frame.ok()) << "reader " << r << " message " << next << ": " << frame.status();
      for (std::size_t at = frame->find("\"text\":\"burst "); at != std::string::npos;
           at = frame->find("\"text\":\"burst ", at + 1), ++next) {
        ASSERT_TRUE(absl::StartsWith(absl::string_view(*frame).substr(at),
                                     absl::StrCat("\"text\":\"burst ", next, ".")))
            << "reader " << r << " expected message " << next;
      }
    }
  }
}

}  // namespace
}  // namespace wsbridge::testing
