// Frames a browser may send that the plain client calls do not: fragments with a ping
// between them, and frames the protocol forbids. The bridge reads frames itself
// (FrameReader), so these check the whole path, socket to roomd and back.

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

// A final client frame, masked unless `masked` is false.
std::string RawFrame(std::uint8_t opcode, const std::string& payload, bool masked = true) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  frame.push_back(static_cast<char>((masked ? 0x80 : 0) | payload.size()));  // under 126
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) {
    frame.append(key, 4);
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  }
  return frame;
}

class FramesTest : public BridgeFixture {};

TEST_F(FramesTest, AFragmentedMessageWithAPingBetweenIsJoinedAndThePingAnswered) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendFragments({R"({"send":{"te)", R"(xt":"in thr)", R"(ee parts"}})"},
                                 "are you there")
                  .ok());
  auto echo = ann->ReadEvent(IsMessage("in three parts"));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(ann->pongs_received(), 1);
  EXPECT_EQ(ann->last_pong(), "are you there");
}

TEST_F(FramesTest, AnUnmaskedFrameClosesWith1002) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendRaw(RawFrame(0x1, R"({"send":{"text":"x"}})", /*masked=*/false)).ok());
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1002);
}

TEST_F(FramesTest, InvalidUtf8SplitAcrossFragmentsClosesWith1007) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  // Each fragment alone could be the start or the end of a character; together they are not.
  ASSERT_TRUE(ann->SendFragments({"{\"send\":{\"text\":\"\xe2\x82", "\x28\"}}"}).ok());
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1007);
}

TEST_F(FramesTest, ACloseFrameWithAReservedCodeClosesWith1002) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendRaw(RawFrame(0x8, std::string("\x03\xed", 2))).ok());  // 1005
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1002);
}

TEST_F(FramesTest, TheBrowsersCloseCodeIsAnswered) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendRaw(RawFrame(0x8, std::string("\x0f\xa1", 2) + "bye")).ok());  // 4001
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4001);
}

}  // namespace
}  // namespace wsbridge::testing
