// Flow control: a browser that does not read is dropped with 4008 without delaying anyone,
// keepalive pings find dead peers, and a live one stays.

#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

class SlowConsumerTest : public BridgeFixture {
 protected:
  SlowConsumerTest() {
    // Small buffers so a few hundred KB are enough to back up a reader that stopped.
    bridge_options_.outbound_queue_bytes = 16 * 1024;
    bridge_options_.socket_send_buffer_bytes = 4096;
  }
};

TEST_F(SlowConsumerTest, NonReaderIsClosedWhileOthersGetEveryMessageInOrder) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  WsTestClient::Options small;
  small.receive_buffer_bytes = 4096;
  auto connected = WsTestClient::Connect(bridge_port(), small);
  ASSERT_TRUE(connected.ok()) << connected.status();
  auto carl = *std::move(connected);
  ASSERT_TRUE(carl->Join("lobby", "carl@example.com").ok());
  ASSERT_TRUE(carl->ReadEvent(IsWelcome()).ok());
  // From here on carl reads nothing.

  bool carl_left = false;
  const auto next_message = [&](const WsTestClient::Event& event) {
    carl_left = carl_left || IsLeft("carl")(event);
    return IsAnyMessage()(event);
  };
  const std::string filler(1000, 'x');
  constexpr int kMessages = 400;  // ~480 KB: far beyond carl's buffers and queue
  for (int i = 0; i < kMessages; ++i) {
    const std::string text = absl::StrCat(i, " ", filler);
    ASSERT_TRUE(ann->Send(text).ok());
    // Strictly the next message, for the sender and for the other reader.
    for (auto* reader : {ann.get(), bob.get()}) {
      auto message = reader->ReadEvent(next_message);
      ASSERT_TRUE(message.ok()) << "message " << i << ": " << message.status();
      ASSERT_EQ(Str(*message, {"message", "text"}), text);
    }
  }
  if (!carl_left) {
    ASSERT_TRUE(bob->ReadEvent(IsLeft("carl")).ok());
  }
  // carl finally reads: what was already in flight, then the close frame.
  auto closed = carl->ReadClose(absl::Seconds(30));
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 8);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(std::string(closed->reason.data(), closed->reason.size()).rfind("slow consumer", 0),
            0u);
}

class KeepaliveTest : public BridgeFixture {
 protected:
  KeepaliveTest() {
    bridge_options_.ping_interval = absl::Milliseconds(200);
    bridge_options_.dead_peer_timeout = absl::Seconds(1);
  }
};

TEST_F(KeepaliveTest, PeerThatNeverAnswersPingsIsDroppedAndALiveOneStays) {
  auto carl = Joined("lobby", "carl@example.com");  // reads nothing after its Welcome
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(carl, nullptr);
  ASSERT_NE(ann, nullptr);
  // ann answers pings while she reads; carl does not, and is dropped as dead.
  ASSERT_TRUE(ann->WaitForPings(3).ok());
  ASSERT_TRUE(ann->ReadEvent(IsLeft("carl")).ok());
  auto carl_end = carl->ReadClose();
  EXPECT_FALSE(carl_end.ok()) << "a dead peer gets no close frame";
  ASSERT_TRUE(ann->Send("still alive").ok());
  EXPECT_TRUE(ann->ReadEvent(IsMessage("still alive")).ok());
}

}  // namespace
}  // namespace wsbridge::testing
