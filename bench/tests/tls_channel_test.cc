#include "bench/tls_channel.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "tests/support/self_signed_certificate.h"

namespace bench {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

// A TLS 1.3 record's overhead: 5 bytes of header, the inner content type, a 16-byte tag.
constexpr std::size_t kRecordOverhead = 22;

// A server (asio's TLS stream, which writes one record per write) and a client whose SSL a
// TlsChannel took over after the handshake; the test moves the client's ciphertext itself.
class TlsChannelTest : public ::testing::Test {
 protected:
  bool PrepareContexts() {
    // No session tickets: after the handshake the wire holds only what a test writes.
    SSL_CTX_set_num_tickets(server_tls_.native_handle(), 0);
    SSL_CTX_set_min_proto_version(client_tls_.native_handle(), TLS1_3_VERSION);
    return chat::testing::UseSelfSignedCertificate(server_tls_.native_handle());
  }

  void SetUp() override {
    ASSERT_TRUE(contexts_ready_);
    tcp::acceptor acceptor(loop_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server_.next_layer());
    int handshakes = 0;
    server_.async_handshake(ssl::stream_base::server, [&](boost::system::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++handshakes;
    });
    client_.async_handshake(ssl::stream_base::client, [&](boost::system::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++handshakes;
    });
    loop_.run();
    ASSERT_EQ(handshakes, 2);
    auto channel = TlsChannel::TakeOver(client_.native_handle());
    ASSERT_TRUE(channel.ok()) << channel.status();
    channel_ = *std::move(channel);
  }

  // Exactly `bytes` of ciphertext from the client's socket.
  std::string ReceiveCiphertext(std::size_t bytes) {
    std::string data(bytes, '\0');
    boost::system::error_code ec;
    net::read(client_.next_layer(), net::buffer(data), ec);
    EXPECT_FALSE(ec) << ec.message();
    return data;
  }

  // Opens what was supplied: the plaintext, and the result that ended the reads.
  TlsChannel::ReadResult OpenAll(std::string* plaintext) {
    char out[4096];
    for (;;) {
      std::size_t got = 0;
      std::string error;
      const TlsChannel::ReadResult result = channel_->Read(out, sizeof(out), &got, &error);
      if (result != TlsChannel::ReadResult::kData) {
        EXPECT_TRUE(result != TlsChannel::ReadResult::kFailed) << error;
        return result;
      }
      plaintext->append(out, got);
    }
  }

  net::io_context loop_{1};
  ssl::context server_tls_{ssl::context::tls_server};
  ssl::context client_tls_{ssl::context::tls_client};  // verifies nothing: a unit test
  // Before the streams: an SSL copies its context's certificate and settings when made.
  const bool contexts_ready_ = PrepareContexts();
  ssl::stream<tcp::socket> server_{loop_, server_tls_};
  ssl::stream<tcp::socket> client_{loop_, client_tls_};
  std::unique_ptr<TlsChannel> channel_;
};

TEST_F(TlsChannelTest, OneSupplyOfManyRecordsIsOpenedWhole) {
  std::string sent;
  std::size_t ciphertext = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string message(100 + i * 37, static_cast<char>('a' + i % 26));
    net::write(server_, net::buffer(message));  // one record each
    sent += message;
    ciphertext += message.size() + kRecordOverhead;
  }
  const std::string wire = ReceiveCiphertext(ciphertext);
  channel_->Supply(wire.data(), wire.size());
  std::string opened;
  EXPECT_EQ(OpenAll(&opened), TlsChannel::ReadResult::kNeedMore);
  EXPECT_EQ(opened.size(), sent.size());
  EXPECT_TRUE(opened == sent);
}

TEST_F(TlsChannelTest, ARecordCutAcrossSuppliesIsKeptWhileTheBufferIsReused) {
  const std::string first(3000, 'x');
  const std::string second(5000, 'y');
  net::write(server_, net::buffer(first));
  net::write(server_, net::buffer(second));
  const std::size_t first_record = first.size() + kRecordOverhead;
  std::string wire = ReceiveCiphertext(first_record + second.size() + kRecordOverhead);
  // The second record is cut in the middle; the buffer is then overwritten with the rest,
  // as one recv buffer serves a thread's clients.
  const std::size_t cut = first_record + 1000;
  std::string buffer = wire.substr(0, cut);
  channel_->Supply(buffer.data(), buffer.size());
  std::string opened;
  EXPECT_EQ(OpenAll(&opened), TlsChannel::ReadResult::kNeedMore);
  EXPECT_TRUE(opened == first);
  buffer.assign(wire, cut);
  channel_->Supply(buffer.data(), buffer.size());
  std::fill(wire.begin(), wire.end(), '\0');
  opened.clear();
  EXPECT_EQ(OpenAll(&opened), TlsChannel::ReadResult::kNeedMore);
  EXPECT_EQ(opened.size(), second.size());
  EXPECT_TRUE(opened == second);
}

TEST_F(TlsChannelTest, CloseNotifyEndsTheReads) {
  const std::string last = "the last words";
  net::write(server_, net::buffer(last));
  // close_notify (an alert record of 2 bytes); asio's shutdown then waits for ours.
  server_.async_shutdown([](boost::system::error_code) {});
  const std::size_t expected = last.size() + kRecordOverhead + 2 + kRecordOverhead;
  for (int i = 0; i < 1000 && client_.next_layer().available() < expected; ++i) {
    loop_.restart();
    loop_.run_one_for(std::chrono::milliseconds(10));
  }
  const std::string wire = ReceiveCiphertext(last.size() + kRecordOverhead + 2 + kRecordOverhead);
  channel_->Supply(wire.data(), wire.size());
  std::string opened;
  EXPECT_EQ(OpenAll(&opened), TlsChannel::ReadResult::kClosed);
  EXPECT_EQ(opened, last);
}

// Reads straight from the client's socket (ReadFrom) until `want` bytes were opened or
// 1,000 empty rounds passed; each round first says the socket is readable.
std::string OpenFromSocket(TlsChannel& channel, std::size_t want) {
  std::string opened;
  char out[4096];
  for (int round = 0; round < 1000 && opened.size() < want; ++round) {
    channel.Readable();
    for (;;) {
      std::size_t got = 0;
      std::string error;
      const TlsChannel::ReadResult result = channel.Read(out, sizeof(out), &got, &error);
      if (result != TlsChannel::ReadResult::kData) {
        EXPECT_EQ(result, TlsChannel::ReadResult::kNeedMore) << error;
        break;
      }
      opened.append(out, got);
    }
    if (opened.size() < want) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return opened;
}

TEST_F(TlsChannelTest, ReadingFromTheSocketOpensEveryRecordAndCountsItsBytes) {
  client_.next_layer().non_blocking(true);
  channel_->ReadFrom(client_.next_layer().native_handle());
  std::string sent;
  std::size_t ciphertext = 0;
  for (int i = 0; i < 40; ++i) {  // about 80 KB: more than the SSL's buffer takes at once
    const std::string message(100 + i * 97, static_cast<char>('a' + i % 26));
    net::write(server_, net::buffer(message));  // one record each
    sent += message;
    ciphertext += message.size() + kRecordOverhead;
  }
  const std::string opened = OpenFromSocket(*channel_, sent.size());
  EXPECT_EQ(opened.size(), sent.size());
  EXPECT_TRUE(opened == sent);
  EXPECT_EQ(channel_->TakeReceivedBytes(), ciphertext);
  EXPECT_EQ(channel_->TakeReceivedBytes(), 0u);
  EXPECT_EQ(channel_->socket_end(), -1);
}

TEST_F(TlsChannelTest, AnEmptiedSocketIsNotAskedAgainUntilItIsReadable) {
  client_.next_layer().non_blocking(true);
  channel_->ReadFrom(client_.next_layer().native_handle());
  net::write(server_, net::buffer(std::string(500, 'a')));
  EXPECT_EQ(OpenFromSocket(*channel_, 500), std::string(500, 'a'));
  // The last recv brought less than it asked for: the socket counts as empty.
  net::write(server_, net::buffer(std::string(700, 'b')));
  char out[4096];
  std::size_t got = 0;
  std::string error;
  EXPECT_EQ(channel_->Read(out, sizeof(out), &got, &error), TlsChannel::ReadResult::kNeedMore);
  EXPECT_EQ(OpenFromSocket(*channel_, 700), std::string(700, 'b'));
}

TEST_F(TlsChannelTest, ThePeerClosingTheSocketIsReportedAfterWhatItSent) {
  client_.next_layer().non_blocking(true);
  channel_->ReadFrom(client_.next_layer().native_handle());
  net::write(server_, net::buffer(std::string("bye")));
  server_.next_layer().close();  // no close_notify: the TCP connection just ends
  std::string opened;
  char out[4096];
  for (int round = 0; round < 1000 && channel_->socket_end() < 0; ++round) {
    channel_->Readable();
    std::size_t got = 0;
    std::string error;
    while (channel_->Read(out, sizeof(out), &got, &error) == TlsChannel::ReadResult::kData) {
      opened.append(out, got);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(opened, "bye");
  EXPECT_EQ(channel_->socket_end(), 0);
}

TEST_F(TlsChannelTest, SealedRecordsReachThePeerInOrder) {
  std::string records;
  ASSERT_TRUE(channel_->Seal("hello, ", &records).ok());
  const std::string big(40000, 'z');  // three records
  ASSERT_TRUE(channel_->Seal(big, &records).ok());
  EXPECT_EQ(records.size(), 7 + big.size() + 4 * kRecordOverhead);
  net::write(client_.next_layer(), net::buffer(records));
  std::string read(7 + big.size(), '\0');
  boost::system::error_code ec;
  net::read(server_, net::buffer(read), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(read == "hello, " + big);
}

}  // namespace
}  // namespace bench
