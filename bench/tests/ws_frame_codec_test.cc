#include "bench/ws_frame_codec.h"

#include <string>

#include <gtest/gtest.h>

namespace bench {
namespace {

// A server frame (unmasked) as the bridge writes it.
std::string ServerFrame(uint8_t first_byte, const std::string& payload) {
  std::string frame(1, static_cast<char>(first_byte));
  const uint64_t length = payload.size();
  if (length < 126) {
    frame.push_back(static_cast<char>(length));
  } else if (length <= 0xffff) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>(length >> 8));
    frame.push_back(static_cast<char>(length));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) {
      frame.push_back(static_cast<char>(length >> (8 * i)));
    }
  }
  return frame + payload;
}

TEST(WsFrameCodecTest, ParsesEachLengthFormAndReportsItsSize) {
  for (const std::size_t length : {std::size_t{0}, std::size_t{125}, std::size_t{126},
                                   std::size_t{65535}, std::size_t{65536}, std::size_t{70000}}) {
    const std::string payload(length, 'x');
    const std::string bytes = ServerFrame(0x81, payload) + "next";
    WsFrame frame;
    std::size_t size = 0;
    ASSERT_TRUE(ParseServerFrame(bytes, 1 << 20, &frame, &size).ok()) << length;
    EXPECT_EQ(size, bytes.size() - 4) << length;
    EXPECT_EQ(frame.opcode, WsOpcode::kText);
    EXPECT_TRUE(frame.fin);
    EXPECT_EQ(frame.payload, payload);
  }
}

TEST(WsFrameCodecTest, WaitsForAFrameThatHasNotFullyArrived) {
  const std::string bytes = ServerFrame(0x81, std::string(300, 'y'));
  for (std::size_t cut : {0, 1, 2, 3, 4, 299, 303}) {
    WsFrame frame;
    std::size_t size = 99;
    ASSERT_TRUE(ParseServerFrame(absl::string_view(bytes).substr(0, cut), 1 << 20, &frame, &size)
                    .ok())
        << cut;
    EXPECT_EQ(size, 0u) << cut;
  }
}

TEST(WsFrameCodecTest, RejectsWhatAServerMustNotSend) {
  WsFrame frame;
  std::size_t size = 0;
  std::string masked = ServerFrame(0x81, "hi");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  EXPECT_FALSE(ParseServerFrame(masked, 1 << 20, &frame, &size).ok());
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0xC1, "hi"), 1 << 20, &frame, &size).ok());  // RSV1
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0x83, "hi"), 1 << 20, &frame, &size).ok());  // opcode 3
  // A ping without FIN, then a ping longer than 125 bytes.
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0x09, "hi"), 1 << 20, &frame, &size).ok());
  EXPECT_FALSE(
      ParseServerFrame(ServerFrame(0x89, std::string(126, 'p')), 1 << 20, &frame, &size).ok());
  // Too big is known from the header alone, before the payload arrives.
  const std::string big = ServerFrame(0x81, std::string(2000, 'z')).substr(0, 10);
  const absl::Status status = ParseServerFrame(big, 1000, &frame, &size);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
}

TEST(WsFrameCodecTest, ParsesFragmentsAndControlFrames) {
  WsFrame frame;
  std::size_t size = 0;
  ASSERT_TRUE(ParseServerFrame(ServerFrame(0x01, "ab"), 100, &frame, &size).ok());
  EXPECT_EQ(frame.opcode, WsOpcode::kText);
  EXPECT_FALSE(frame.fin);
  ASSERT_TRUE(ParseServerFrame(ServerFrame(0x80, "cd"), 100, &frame, &size).ok());
  EXPECT_EQ(frame.opcode, WsOpcode::kContinuation);
  EXPECT_TRUE(frame.fin);
  const std::string close = ServerFrame(0x88, ClosePayload(1001, "going away"));
  ASSERT_TRUE(ParseServerFrame(close, 100, &frame, &size).ok());
  EXPECT_EQ(frame.opcode, WsOpcode::kClose);
  EXPECT_EQ(DescribeClose(frame.payload), "1001 going away");
  EXPECT_EQ(DescribeClose(""), "1005");
}

TEST(WsFrameCodecTest, ClientFramesAreMaskedAndUnmaskBackToThePayload) {
  for (const std::size_t length : {std::size_t{5}, std::size_t{200}, std::size_t{70000}}) {
    std::string payload(length, 'a');
    for (std::size_t i = 0; i < length; ++i) {
      payload[i] = static_cast<char>('a' + i % 26);
    }
    std::string out = "prefix";
    AppendClientFrame(WsOpcode::kText, payload, 0xA1B2C3D4u, &out);
    const auto* bytes = reinterpret_cast<const unsigned char*>(out.data() + 6);
    EXPECT_EQ(bytes[0], 0x81);
    ASSERT_TRUE(bytes[1] & 0x80) << "clients must mask";
    std::size_t header = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
    const unsigned char* key = bytes + header;
    header += 4;
    ASSERT_EQ(out.size(), 6 + header + length);
    std::string unmasked(length, '\0');
    for (std::size_t i = 0; i < length; ++i) {
      unmasked[i] = static_cast<char>(bytes[header + i] ^ key[i % 4]);
    }
    EXPECT_EQ(unmasked, payload) << length;
    EXPECT_NE(out.substr(6 + header), payload) << "the payload is sent masked";
  }
}

TEST(WsFrameCodecTest, ChecksTheUpgradeResponse) {
  const std::string ok =
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: upgrade\r\n"
      "Sec-WebSocket-Accept: x\r\n\r\n";
  EXPECT_EQ(ResponseHeadSize(ok + "\x81\x02hi"), ok.size());
  EXPECT_EQ(ResponseHeadSize(ok.substr(0, ok.size() - 1)), 0u);
  EXPECT_TRUE(CheckUpgradeResponse(ok).ok());
  EXPECT_FALSE(CheckUpgradeResponse("HTTP/1.1 403 Forbidden\r\n\r\n").ok());
  EXPECT_FALSE(CheckUpgradeResponse("HTTP/1.1 101 Switching Protocols\r\n\r\n").ok());
  EXPECT_FALSE(CheckUpgradeResponse("SSH-2.0-OpenSSH\r\n\r\n").ok());
  const std::string request = UpgradeRequest("127.0.0.1:8080", "/chat", "a2V5");
  EXPECT_EQ(request.rfind("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 0), 0u);
  EXPECT_NE(request.find("Sec-WebSocket-Key: a2V5\r\n"), std::string::npos);
  EXPECT_NE(request.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_EQ(request.substr(request.size() - 4), "\r\n\r\n");
}

TEST(WsFrameCodecTest, Rsv1MarksACompressedDataFrameOnlyOnceDeflateIsAgreed) {
  WsFrame frame;
  std::size_t size = 0;
  ASSERT_TRUE(ParseServerFrame(ServerFrame(0xC1, "hi"), 100, &frame, &size, /*deflate=*/true).ok());
  EXPECT_TRUE(frame.compressed);
  ASSERT_TRUE(ParseServerFrame(ServerFrame(0x81, "hi"), 100, &frame, &size, true).ok());
  EXPECT_FALSE(frame.compressed);  // a message may go uncompressed
  // Never on control frames or continuations, and RSV2/RSV3 stay errors.
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0xC9, "hi"), 100, &frame, &size, true).ok());
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0xC0, "hi"), 100, &frame, &size, true).ok());
  EXPECT_FALSE(ParseServerFrame(ServerFrame(0xA1, "hi"), 100, &frame, &size, true).ok());
}

TEST(WsFrameCodecTest, OffersDeflateAndReadsTheAgreement) {
  const std::string offer = UpgradeRequest("127.0.0.1:8080", "/chat", "a2V5", true);
  EXPECT_NE(offer.find("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
            std::string::npos);
  EXPECT_EQ(UpgradeRequest("h", "/chat", "a2V5").find("Extensions"), std::string::npos);
  EXPECT_TRUE(AgreesToDeflate(
      "HTTP/1.1 101 Switching Protocols\r\nsec-websocket-extensions: permessage-deflate; "
      "server_max_window_bits=10\r\n\r\n"));
  EXPECT_FALSE(AgreesToDeflate("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
}

}  // namespace
}  // namespace bench
