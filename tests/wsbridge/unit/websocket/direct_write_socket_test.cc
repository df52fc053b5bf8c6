#include "wsbridge/websocket/direct_write_socket.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "tests/support/self_signed_certificate.h"

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

// Runs `loop` until `done()` holds, at most 10 s; false on timeout.
bool RunUntil(net::io_context& loop, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    loop.restart();
    loop.run_one_for(std::chrono::milliseconds(100));
  }
  return done();
}

TEST(TextFrameHeaderTest, UsesTheShortestLengthFormRfc6455Allows) {
  const auto encode = [](std::size_t payload) {
    const TextFrameHeader header(payload);
    const net::const_buffer bytes = header.buffer();
    return std::string(static_cast<const char*>(bytes.data()), bytes.size());
  };
  EXPECT_EQ(encode(0), std::string("\x81\x00", 2));
  EXPECT_EQ(encode(125), std::string("\x81\x7d", 2));
  EXPECT_EQ(encode(126), std::string("\x81\x7e\x00\x7e", 4));
  EXPECT_EQ(encode(65535), std::string("\x81\x7e\xff\xff", 4));
  EXPECT_EQ(encode(65536), std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

// A Beast client and a server WebSocket over DirectWriteSocket, on one loop.
class DirectWriteSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(loop_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_.next_layer().connect(acceptor.local_endpoint());
    tcp::socket accepted(loop_);
    acceptor.accept(accepted);
    server_.emplace(DirectWriteSocket(std::move(accepted)));
    bool accepted_ok = false;
    server_->async_accept([&](beast::error_code ec) { accepted_ok = !ec; });
    client_.async_handshake("127.0.0.1", "/", [](beast::error_code ec) { ASSERT_FALSE(ec); });
    loop_.run();
    loop_.restart();
    ASSERT_TRUE(accepted_ok);
  }

  DirectWriteSocket& socket() { return server_->next_layer(); }

  // Runs the loop (bounded) until the client has read one message.
  std::string ReadOne() {
    beast::flat_buffer buffer;
    std::string text;
    bool done = false;
    client_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      EXPECT_FALSE(ec) << ec.message();
      text = beast::buffers_to_string(buffer.data());
      done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_one_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(done) << "no message within 10 s";
    return text;
  }

  net::io_context loop_{1};
  websocket::stream<tcp::socket> client_{loop_};
  std::optional<websocket::stream<DirectWriteSocket>> server_;
};

TEST_F(DirectWriteSocketTest, FramesWrittenDirectlyArriveAsTextMessages) {
  for (const std::string& text : {std::string("hello"), std::string(300, 'x'),
                                  std::string(70000, 'y')}) {
    ASSERT_TRUE(socket().CanWriteFrame());
    const TextFrameHeader header(text.size());
    ASSERT_TRUE(socket().TryWriteFrame(header.buffer(), net::buffer(text)));
    const std::string read = ReadOne();
    EXPECT_EQ(read.size(), text.size());
    EXPECT_TRUE(read == text);
    EXPECT_TRUE(client_.got_text());
  }
}

TEST_F(DirectWriteSocketTest, APongBeastAnswersWaitsForTheRestOfAFrameTheKernelDidNotTake) {
  // A frame far larger than the socket buffers, so the kernel takes only part of it.
  // (Only the sender's buffer shrinks: a receive buffer shrunk after the connection opened
  // would drop data the window had allowed, and TCP would crawl on retransmissions.)
  beast::error_code ignored;
  beast::get_lowest_layer(*server_).set_option(net::socket_base::send_buffer_size(4096),
                                               ignored);
  const std::string big(4 << 20, 'b');
  {
    // The caller's buffers are free again once TryWriteFrame returns: spoil them.
    std::string frame = big;
    auto header = std::make_unique<TextFrameHeader>(frame.size());
    ASSERT_TRUE(socket().CanWriteFrame());
    ASSERT_FALSE(socket().TryWriteFrame(header->buffer(), net::buffer(frame)));
    std::fill(frame.begin(), frame.end(), 'x');
  }
  bool frame_done = false;
  socket().FinishFrame([&](beast::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    frame_done = true;
  });
  EXPECT_FALSE(socket().CanWriteFrame());

  // The server reads, so Beast answers the client's ping while the frame is still going out.
  beast::flat_buffer server_buffer;
  server_->async_read(server_buffer, [](beast::error_code, std::size_t) {});
  bool pong_seen = false;
  client_.control_callback([&](websocket::frame_type kind, beast::string_view) {
    pong_seen = pong_seen || kind == websocket::frame_type::pong;
  });
  client_.async_ping({}, [](beast::error_code ec) { ASSERT_FALSE(ec); });
  // Long enough for the ping to arrive and Beast to try its pong; the frame cannot finish
  // meanwhile, since the client does not read.
  loop_.run_for(std::chrono::milliseconds(300));
  loop_.restart();
  EXPECT_FALSE(frame_done);
  EXPECT_EQ(socket().deferred_stream_writes(), 1u);

  // The client reads the whole frame intact, then the pong that waited for it.
  const std::string read = ReadOne();
  EXPECT_EQ(read.size(), big.size());
  EXPECT_TRUE(read == big);
  EXPECT_TRUE(frame_done);
  const std::string after = "after the pong";
  ASSERT_TRUE(socket().CanWriteFrame());
  const TextFrameHeader after_header(after.size());
  ASSERT_TRUE(socket().TryWriteFrame(after_header.buffer(), net::buffer(after)));
  EXPECT_EQ(ReadOne(), after);
  EXPECT_TRUE(pong_seen);
}

// The same over TLS: a Beast client over asio's TLS stream, and the server's WebSocket over a
// DirectWriteSocket that seals its records itself (a self-signed EC certificate made here).
class DirectWriteSocketTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(chat::testing::UseSelfSignedCertificate(server_tls_.native_handle()));
    tcp::acceptor acceptor(loop_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    client_.next_layer().next_layer().connect(acceptor.local_endpoint());
    tcp::socket accepted(loop_);
    acceptor.accept(accepted);
    auto tls = std::make_unique<TlsStream>(beast::tcp_stream(std::move(accepted)), server_tls_);
    int handshakes = 0;
    tls->async_handshake(ssl::stream_base::server, [&](beast::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++handshakes;
    });
    client_.next_layer().async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      ++handshakes;
    });
    ASSERT_TRUE(RunUntil(loop_, [&] { return handshakes == 2; }));
    server_.emplace(DirectWriteSocket(std::move(tls)));
    ASSERT_TRUE(socket().seals_records());
    bool accepted_ok = false;
    bool upgraded = false;
    server_->async_accept([&](beast::error_code ec) { accepted_ok = !ec; });
    client_.async_handshake("127.0.0.1", "/", [&](beast::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      upgraded = true;
    });
    ASSERT_TRUE(RunUntil(loop_, [&] { return accepted_ok && upgraded; }));
  }

  DirectWriteSocket& socket() { return server_->next_layer(); }

  // Writes `text` as one direct frame; `done` runs once it is all out. True when the kernel
  // took it at once.
  bool WriteFrame(const std::string& text, std::function<void()> done) {
    EXPECT_TRUE(socket().CanWriteFrame());
    const TextFrameHeader header(text.size());
    // The socket copies what it keeps: the frame's buffers die with this call.
    std::string copy = text;
    if (socket().TryWriteFrame(header.buffer(), net::buffer(copy))) {
      done();
      return true;
    }
    socket().FinishFrame([done = std::move(done)](beast::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      done();
    });
    return false;
  }

  // Starts reading messages into `read` until `count` arrived.
  void ReadMessages(std::vector<std::string>* read, std::size_t count) {
    if (read->size() >= count) {
      return;
    }
    client_.async_read(client_buffer_, [this, read, count](beast::error_code ec, std::size_t) {
      ASSERT_FALSE(ec) << ec.message();
      EXPECT_TRUE(client_.got_text());
      read->push_back(beast::buffers_to_string(client_buffer_.data()));
      client_buffer_.clear();
      ReadMessages(read, count);
    });
  }

  net::io_context loop_{1};
  ssl::context server_tls_{ssl::context::tls_server};
  ssl::context client_tls_{ssl::context::tls_client};  // verifies nothing: a unit test
  websocket::stream<ssl::stream<tcp::socket>> client_{loop_, client_tls_};
  beast::flat_buffer client_buffer_;
  std::optional<websocket::stream<DirectWriteSocket>> server_;
};

TEST_F(DirectWriteSocketTlsTest, SealedFramesArriveWholeAndInOrderThroughPartialWrites) {
  // A small send buffer, so the kernel takes only part of the larger frames' records.
  beast::error_code ignored;
  beast::get_lowest_layer(*server_).set_option(net::socket_base::send_buffer_size(4096),
                                               ignored);
  std::vector<std::string> frames;
  for (const std::size_t size : {5, 300, 16 * 1024 - 4, 16 * 1024, 70000, 5, 1 << 20, 2}) {
    frames.push_back(std::string(size, static_cast<char>('a' + frames.size())));
  }
  std::vector<std::string> read;
  ReadMessages(&read, frames.size());
  std::size_t written = 0;
  int partial = 0;
  std::function<void()> write_next = [&] {
    if (written < frames.size()) {
      partial += WriteFrame(frames[written++], write_next) ? 0 : 1;
    }
  };
  write_next();
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == frames.size(); }));
  EXPECT_GT(partial, 0) << "the kernel took every frame whole: nothing was tested";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(read[i].size(), frames[i].size()) << "frame " << i;
    EXPECT_TRUE(read[i] == frames[i]) << "frame " << i;
  }
}

// Counts the TLS records an SSL reads (the message callback sees each record's header).
void CountRecordsRead(int write_p, int /*version*/, int content_type, const void* /*buf*/,
                      std::size_t /*len*/, SSL* /*ssl*/, void* arg) {
  if (write_p == 0 && content_type == SSL3_RT_HEADER) {
    ++*static_cast<int*>(arg);
  }
}

TEST_F(DirectWriteSocketTlsTest, SeveralFramesWrittenTogetherShareOneRecord) {
  int records = 0;
  SSL* client_ssl = client_.next_layer().native_handle();
  SSL_set_msg_callback(client_ssl, CountRecordsRead);
  SSL_set_msg_callback_arg(client_ssl, &records);
  // 30 frames of 2 to 300 bytes, headers included, one after the other: about 5 KB.
  std::vector<std::string> texts;
  std::string frames;
  for (int i = 0; i < 30; ++i) {
    texts.push_back(std::string(i * 10, static_cast<char>('a' + i % 26)));
    const TextFrameHeader header(texts.back().size());
    frames.append(static_cast<const char*>(header.buffer().data()), header.buffer().size());
    frames += texts.back();
  }
  ASSERT_TRUE(socket().CanWriteFrame());
  ASSERT_TRUE(socket().TryWriteFrames(net::buffer(frames)));
  std::vector<std::string> read;
  ReadMessages(&read, texts.size());
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == texts.size(); }));
  EXPECT_EQ(read, texts);
  EXPECT_EQ(records, 1) << "each frame was sealed on its own";

  // A run larger than a record: full records, the frames still whole and in order.
  texts.clear();
  frames.clear();
  for (int i = 0; i < 12; ++i) {
    texts.push_back(std::string(3000 + i, static_cast<char>('A' + i)));
    const TextFrameHeader header(texts.back().size());
    frames.append(static_cast<const char*>(header.buffer().data()), header.buffer().size());
    frames += texts.back();
  }
  records = 0;
  ASSERT_TRUE(socket().TryWriteFrames(net::buffer(frames)));
  read.clear();
  ReadMessages(&read, texts.size());
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == texts.size(); }));
  EXPECT_EQ(read, texts);
  EXPECT_EQ(records, 3) << "36 KB of frames in records of 16 KB";
  SSL_set_msg_callback(client_ssl, nullptr);
}

TEST_F(DirectWriteSocketTlsTest, FramesWrittenTogetherFinishWhenTheKernelTakesPart) {
  beast::error_code ignored;
  beast::get_lowest_layer(*server_).set_option(net::socket_base::send_buffer_size(4096),
                                               ignored);
  std::vector<std::string> texts;
  std::string frames;
  for (int i = 0; i < 200; ++i) {  // about 2 MB
    texts.push_back(std::string(10000 + i, static_cast<char>('a' + i % 26)));
    const TextFrameHeader header(texts.back().size());
    frames.append(static_cast<const char*>(header.buffer().data()), header.buffer().size());
    frames += texts.back();
  }
  ASSERT_TRUE(socket().CanWriteFrame());
  ASSERT_FALSE(socket().TryWriteFrames(net::buffer(frames)));
  std::fill(frames.begin(), frames.end(), 'x');  // the socket kept its own copy
  bool done = false;
  socket().FinishFrame([&](beast::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    done = true;
  });
  EXPECT_FALSE(socket().CanWriteFrame());
  std::vector<std::string> read;
  ReadMessages(&read, texts.size());
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == texts.size() && done; }));
  EXPECT_TRUE(read == texts);
  EXPECT_TRUE(socket().CanWriteFrame());
}

TEST_F(DirectWriteSocketTlsTest, APongBeastAnswersWaitsForTheRestOfASealedFrame) {
  beast::error_code ignored;
  beast::get_lowest_layer(*server_).set_option(net::socket_base::send_buffer_size(4096),
                                               ignored);
  const std::string big(4 << 20, 'b');
  bool frame_done = false;
  ASSERT_FALSE(WriteFrame(big, [&] { frame_done = true; }));
  EXPECT_FALSE(socket().CanWriteFrame());

  // The server reads, so Beast answers the client's ping while the frame is still going out:
  // its pong must wait, or its record would land in the middle of the frame.
  beast::flat_buffer server_buffer;
  server_->async_read(server_buffer, [](beast::error_code, std::size_t) {});
  bool pong_seen = false;
  client_.control_callback([&](websocket::frame_type kind, beast::string_view) {
    pong_seen = pong_seen || kind == websocket::frame_type::pong;
  });
  client_.async_ping({}, [](beast::error_code ec) { ASSERT_FALSE(ec); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return socket().deferred_stream_writes() == 1; }));
  EXPECT_FALSE(frame_done);

  std::vector<std::string> read;
  ReadMessages(&read, 1);
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == 1; }));
  EXPECT_EQ(read[0].size(), big.size());
  EXPECT_TRUE(read[0] == big);
  EXPECT_TRUE(frame_done);
  // The pong came after the frame, and a frame after the pong is whole too.
  const std::string after = "after the pong";
  ASSERT_TRUE(RunUntil(loop_, [&] { return socket().CanWriteFrame(); }));
  WriteFrame(after, [] {});
  ReadMessages(&read, 2);
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == 2; }));
  EXPECT_EQ(read[1], after);
  EXPECT_TRUE(pong_seen);
}

TEST_F(DirectWriteSocketTlsTest, ACloseWaitsForASealedFrameAndEndsWithCloseNotify) {
  beast::error_code ignored;
  beast::get_lowest_layer(*server_).set_option(net::socket_base::send_buffer_size(4096),
                                               ignored);
  const std::string big(1 << 20, 'c');
  bool frame_done = false;
  ASSERT_FALSE(WriteFrame(big, [&] { frame_done = true; }));
  bool server_closed = false;
  server_->async_close(websocket::close_code::going_away, [&](beast::error_code ec) {
    EXPECT_FALSE(ec) << ec.message();
    server_closed = true;
  });
  ASSERT_TRUE(RunUntil(loop_, [&] { return socket().deferred_stream_writes() == 1; }));

  // The client gets the whole frame, then the close; its side of the closing handshake
  // ends cleanly only if our close_notify came (else: "stream truncated").
  std::vector<std::string> read;
  ReadMessages(&read, 1);
  ASSERT_TRUE(RunUntil(loop_, [&] { return read.size() == 1; }));
  EXPECT_TRUE(read[0] == big);
  EXPECT_TRUE(frame_done);
  beast::error_code client_end;
  bool client_done = false;
  client_.async_read(client_buffer_, [&](beast::error_code ec, std::size_t) {
    client_end = ec;
    client_done = true;
  });
  ASSERT_TRUE(RunUntil(loop_, [&] { return client_done && server_closed; }));
  EXPECT_EQ(client_end, websocket::error::closed) << client_end.message();
  EXPECT_EQ(client_.reason().code, websocket::close_code::going_away);
}

}  // namespace
}  // namespace wsbridge
