// Bad frames from a browser get an Error and the connection stays; what cannot be answered
// ends with a documented close code, and nobody else notices.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

constexpr std::size_t kMaxFrame = 1024;

class ErrorsTest : public BridgeFixture {
 protected:
  ErrorsTest() { bridge_options_.max_frame_bytes = kMaxFrame; }

  // The connection still carries messages both ways.
  void ExpectStillWorks(WsTestClient& client, const std::string& text) {
    ASSERT_TRUE(client.Send(text).ok());
    auto echo = client.ReadEvent(IsMessage(text));
    EXPECT_TRUE(echo.ok()) << "after a bad frame: " << echo.status();
  }
};

TEST_F(ErrorsTest, BadFramesGetAnErrorAndTheConnectionStays) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not JSON", "hello"},
      {"empty frame", ""},
      {"JSON array", "[1,2]"},
      {"trailing bytes", R"({"send":{"text":"x"}} {})"},
      {"wrong type", R"({"join":5})"},
      {"wrong field type", R"({"typing":{"active":1}})"},
      {"unknown field", R"({"send":{"text":"x","color":"red"}})"},
      {"unknown event", R"({"shout":{"text":"x"}})"},
      {"two events in one", R"({"send":{"text":"x"},"typing":{"active":true}})"},
      {"no event", "{}"},
      {"lone surrogate escape", R"({"send":{"text":"\ud800"}})"},
      {"too large", absl::StrCat(R"({"send":{"text":")", std::string(2 * kMaxFrame, 'a'),
                                 R"("}})")},
  };
  int round = 0;
  for (const auto& [name, frame] : cases) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(ann->SendText(frame).ok());
    auto error = ann->ReadEvent(IsError("INVALID_ARGUMENT"));
    ASSERT_TRUE(error.ok()) << error.status();
    EXPECT_NE(Str(*error, {"error", "message"}), "");
    ExpectStillWorks(*ann, absl::StrCat("still here ", ++round));
  }
}

TEST_F(ErrorsTest, ErrorMessagesSayWhatWasWrong) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendText(R"({"send":{"text":"x","color":"red"}})").ok());
  auto unknown = ann->ReadEvent(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(absl::StrContains(Str(*unknown, {"error", "message"}), "color"))
      << Str(*unknown, {"error", "message"});

  ASSERT_TRUE(ann->SendText(std::string(3 * kMaxFrame, ' ')).ok());
  auto large = ann->ReadEvent(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(large.ok());
  EXPECT_TRUE(absl::StrContains(Str(*large, {"error", "message"}),
                                absl::StrCat("limit of ", kMaxFrame)))
      << Str(*large, {"error", "message"});
}

TEST_F(ErrorsTest, BinaryFrameGetsAnErrorAndTheConnectionStays) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->SendBinary(std::string("\x00\x01\x02", 3)).ok());
  auto error = ann->ReadEvent(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_TRUE(absl::StrContains(Str(*error, {"error", "message"}), "binary"));
  ExpectStillWorks(*ann, "after binary");
}

TEST_F(ErrorsTest, InvalidUtf8ClosesWith1007AndOthersCarryOn) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(ann->SendText("{\"send\":{\"text\":\"\xff\xfe\"}}").ok());
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1007);
  ASSERT_TRUE(bob->ReadEvent(IsLeft("ann")).ok());
  ExpectStillWorks(*bob, "bob carries on");
}

TEST_F(ErrorsTest, FrameTooLargeToDiscardClosesWith1009) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(
      ann->SendText(std::string(kMaxFrame * BridgeOptions::kDiscardFactor + 1, 'a')).ok());
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1009);
}

TEST_F(ErrorsTest, SendBeforeJoinIsRefusedByRoomdWith4003) {
  auto ann = Connect();
  ASSERT_NE(ann, nullptr);
  ASSERT_TRUE(ann->Send("hello?").ok());
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 3);  // INVALID_ARGUMENT
  EXPECT_TRUE(absl::StrContains(ReasonOf(*closed), "join")) << ReasonOf(*closed);
}

TEST_F(ErrorsTest, BadEmailIsRefusedWithRoomdsReason) {
  auto ann = Connect("/chat?email=not-an-email&room=lobby");
  ASSERT_NE(ann, nullptr);
  auto closed = ann->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 3);
  EXPECT_FALSE(ReasonOf(*closed).empty());
  EXPECT_LE(closed->reason.size(), 123u);
}

TEST_F(ErrorsTest, MalformedQueryGetsAnErrorAndTheConnectionStays) {
  auto ann = Connect("/chat?email=ann%40example.com&room=lobby&after_seq=soon");
  ASSERT_NE(ann, nullptr);
  auto error = ann->ReadEvent(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_TRUE(absl::StrContains(Str(*error, {"error", "message"}), "after_seq"));
  ASSERT_TRUE(ann->Join("lobby", "ann@example.com").ok());
  EXPECT_TRUE(ann->ReadEvent(IsWelcome()).ok());
}

class JoinTimeoutTest : public BridgeFixture {
 protected:
  JoinTimeoutTest() { bridge_options_.join_timeout = absl::Milliseconds(200); }
};

TEST_F(JoinTimeoutTest, SilentBrowserIsClosedWith4004) {
  auto quiet = Connect();
  ASSERT_NE(quiet, nullptr);
  auto closed = quiet->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 4000 + 4);  // DEADLINE_EXCEEDED
  EXPECT_TRUE(absl::StrContains(ReasonOf(*closed), "join timeout")) << ReasonOf(*closed);
}

TEST_F(JoinTimeoutTest, WelcomedBrowserStays) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  // A browser connected later is closed for its silence, so ann's join timer has run out
  // too: being welcomed must have stopped it.
  auto quiet = Connect();
  ASSERT_NE(quiet, nullptr);
  auto closed = quiet->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  ASSERT_EQ(closed->code, 4000 + 4);
  ASSERT_TRUE(ann->Send("still here").ok());
  EXPECT_TRUE(ann->ReadEvent(IsMessage("still here")).ok());
}

}  // namespace
}  // namespace wsbridge::testing
