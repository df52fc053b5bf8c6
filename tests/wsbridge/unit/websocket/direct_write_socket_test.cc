#include "wsbridge/websocket/direct_write_socket.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

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

}  // namespace
}  // namespace wsbridge
