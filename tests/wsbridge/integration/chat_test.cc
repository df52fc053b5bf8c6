// The happy path through the bridge: joining both ways, presence, messages in order, and
// the closing handshake on shutdown.

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

namespace websocket = boost::beast::websocket;

std::uint64_t Seq(const WsTestClient::Event& event) {
  std::uint64_t seq = 0;
  EXPECT_TRUE(absl::SimpleAtoi(Str(event, {"message", "seq"}), &seq))
      << "seq must be a decimal string: " << boost::json::serialize(event);
  return seq;
}

using ChatTest = BridgeFixture;

TEST_F(ChatTest, JsonJoinGetsWelcome) {
  auto ann = Connect();
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendText(R"({"join":{"room":"lobby","email":"ann@example.com"}})").ok());
  auto welcome = ann->ReadEvent(IsWelcome());
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(Str(*welcome, {"welcome", "room"}), "lobby");
  EXPECT_EQ(Str(*welcome, {"welcome", "self", "name"}), "ann");
  EXPECT_NE(Str(*welcome, {"welcome", "self", "avatarUrl"}), "");
  const auto& online = welcome->at("welcome").as_object().at("online").as_array();
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(Str(online[0].as_object(), {"name"}), "ann");
}

TEST_F(ChatTest, QueryStringJoinIsSentForTheBrowser) {
  auto bob = Connect("/chat?email=bob%40example.com&room=lobby&name=Bobby+B");
  ASSERT_NE(bob, nullptr);
  auto welcome = bob->ReadEvent(IsWelcome());
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(Str(*welcome, {"welcome", "room"}), "lobby");
  EXPECT_EQ(Str(*welcome, {"welcome", "self", "name"}), "Bobby B");
}

TEST_F(ChatTest, QueryStringResumeAfterSeq) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(ann->Send(absl::StrCat("m", i)).ok());
    ASSERT_TRUE(ann->ReadEvent(IsMessage(absl::StrCat("m", i))).ok());
  }
  auto again = Connect("/chat?email=ann%40example.com&room=lobby&after_seq=2");
  ASSERT_NE(again, nullptr);
  auto welcome = again->ReadEvent(IsWelcome());
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  const auto& history = welcome->at("welcome").as_object().at("history").as_array();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(Str(history[0].as_object(), {"text"}), "m3");
  EXPECT_EQ(Str(*welcome, {"welcome", "lastSeq"}), "3");
}

TEST_F(ChatTest, PresenceJoinAndLeave) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(bob, nullptr);
  auto joined = ann->ReadEvent(IsJoined("bob"));
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->at("presence").as_object().at("onlineCount").as_int64(), 2);

  ASSERT_TRUE(bob->Close(websocket::close_code::normal).ok());
  auto left = ann->ReadEvent(IsLeft("bob"));
  ASSERT_TRUE(left.ok()) << left.status();
}

TEST_F(ChatTest, MessagesArriveInOrderForEveryone) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  constexpr int kMessages = 200;
  // Sent without waiting, so roomd may batch them: order must survive batching too.
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(ann->Send(absl::StrCat("message ", i)).ok());
  }
  for (auto* reader : {ann.get(), bob.get()}) {
    std::uint64_t last_seq = 0;
    for (int i = 0; i < kMessages; ++i) {
      auto message = reader->ReadEvent(IsAnyMessage());
      ASSERT_TRUE(message.ok()) << message.status();
      EXPECT_EQ(Str(*message, {"message", "text"}), absl::StrCat("message ", i));
      EXPECT_EQ(Str(*message, {"message", "from", "name"}), "ann");
      const std::uint64_t seq = Seq(*message);
      if (last_seq != 0) {
        EXPECT_EQ(seq, last_seq + 1);
      }
      last_seq = seq;
    }
  }
}

// One relay for every browser: roomd sends each broadcast once for all of them (an item
// with more_sessions) and the bridge hands it to each, across both io threads.
class OneRelayChatTest : public BridgeFixture {
 protected:
  OneRelayChatTest() { bridge_options_.roomd_relays = 1; }
};

TEST_F(OneRelayChatTest, EveryBrowserOnTheRelayGetsEveryBroadcastInOrder) {
  constexpr int kBrowsers = 6;
  constexpr int kMessages = 50;
  std::vector<std::unique_ptr<WsTestClient>> browsers;
  for (int i = 0; i < kBrowsers; ++i) {
    browsers.push_back(Joined("lobby", absl::StrCat("user", i, "@example.com")));
    ASSERT_NE(browsers.back(), nullptr);
  }
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(browsers[i % 2]->Send(absl::StrCat("message ", i)).ok());
  }
  for (auto& browser : browsers) {
    std::uint64_t last_seq = 0;
    for (int i = 0; i < kMessages; ++i) {
      auto message = browser->ReadEvent(IsAnyMessage());
      ASSERT_TRUE(message.ok()) << message.status();
      const std::uint64_t seq = Seq(*message);
      if (last_seq != 0) {
        EXPECT_EQ(seq, last_seq + 1);
      }
      last_seq = seq;
    }
  }
}

TEST_F(ChatTest, ShutdownClosesEveryBrowserWithGoingAway) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  // Shutdown blocks until the browsers finish their closing handshakes, which they do as
  // they read below.
  std::thread stopper([this] { bridge_->Shutdown(); });
  auto ann_close = ann->ReadClose();
  auto bob_close = bob->ReadClose();
  stopper.join();
  ASSERT_TRUE(ann_close.ok()) << ann_close.status();
  ASSERT_TRUE(bob_close.ok()) << bob_close.status();
  EXPECT_EQ(ann_close->code, 1001);
  EXPECT_EQ(std::string(ann_close->reason.data(), ann_close->reason.size()), "going away");
  EXPECT_EQ(bob_close->code, 1001);
  EXPECT_EQ(bridge_->session_count(), 0u);
  // roomd saw both participants leave.
  EXPECT_TRUE(roomd_->WaitForSessionsAtMost(0, kWait));
}

// A WebSocket client other than the page (no acceptBatches in its join) gets one event
// per frame, even for a burst; each message comes, in order.
TEST_F(ChatTest, ClientWithoutAcceptBatchesGetsOneEventPerFrame) {
  auto reader = Joined("burst", "reader@example.com");
  auto writer = Joined("burst", "writer@example.com");
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(writer, nullptr);
  constexpr int kMessages = 120;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(writer->Send(absl::StrCat("fast ", i)).ok());
  }
  int seen = 0;
  for (int frames = 0; seen < kMessages && frames < 4 * kMessages; ++frames) {
    auto frame = reader->ReadFrame();
    ASSERT_TRUE(frame.ok()) << frame.status();
    const boost::json::object event = boost::json::parse(*frame).as_object();
    ASSERT_FALSE(event.contains("batch")) << *frame;
    if (event.contains("message")) {
      EXPECT_EQ(Str(event, {"message", "text"}), absl::StrCat("fast ", seen));
      ++seen;
    }
  }
  EXPECT_EQ(seen, kMessages);
  EXPECT_TRUE(writer->ReadEvent(IsMessage(absl::StrCat("fast ", kMessages - 1))).ok());
}

}  // namespace
}  // namespace wsbridge::testing
