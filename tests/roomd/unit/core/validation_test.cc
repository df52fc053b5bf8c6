#include "roomd/core/validation.h"

#include <gtest/gtest.h>


namespace roomd {
namespace {

TEST(RoomNameTest, AcceptsTheAllowedAlphabet) {
  EXPECT_TRUE(ValidateRoomName("lobby").ok());
  EXPECT_TRUE(ValidateRoomName("Team-1.dev_ops").ok());
  EXPECT_TRUE(ValidateRoomName("a").ok());
  EXPECT_TRUE(ValidateRoomName(std::string(64, 'r')).ok());
}

TEST(RoomNameTest, RejectsEverythingElse) {
  for (const std::string& room : {std::string(), std::string(65, 'r'), std::string("a b"),
                                  std::string("caf\xC3\xA9"), std::string("a/b"),
                                  std::string("a\nb"), std::string("room#1"),
                                  std::string("a\0b", 3)}) {
    const absl::Status status = ValidateRoomName(room);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << room;
    EXPECT_NE(status.message().find("room name"), absl::string_view::npos);
  }
}

TEST(MessageTextTest, LimitsAndContent) {
  EXPECT_TRUE(ValidateMessageText("hello", 4096).ok());
  EXPECT_TRUE(ValidateMessageText("line one\n\tline two", 4096).ok());
  EXPECT_TRUE(ValidateMessageText("ünïcödé 😀", 4096).ok());
  EXPECT_TRUE(ValidateMessageText(std::string(4096, 'x'), 4096).ok());

  absl::Status status = ValidateMessageText(std::string(4097, 'x'), 4096);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("too long"), absl::string_view::npos);

  status = ValidateMessageText("", 4096);
  EXPECT_NE(status.message().find("empty"), absl::string_view::npos);
  status = ValidateMessageText(" \n\t ", 4096);
  EXPECT_NE(status.message().find("empty"), absl::string_view::npos);
  status = ValidateMessageText("bad \xC3\x28 utf8", 4096);
  EXPECT_NE(status.message().find("UTF-8"), absl::string_view::npos);
  status = ValidateMessageText("bell\a", 4096);
  EXPECT_NE(status.message().find("control"), absl::string_view::npos);
}

TEST(ClientIdTest, LimitsAndContent) {
  EXPECT_TRUE(ValidateClientId("", 128).ok());
  EXPECT_TRUE(ValidateClientId("c-123", 128).ok());
  EXPECT_FALSE(ValidateClientId(std::string(129, 'c'), 128).ok());
  EXPECT_FALSE(ValidateClientId("a\nb", 128).ok());
}

TEST(DisplayNameTest, CountsCodePointsNotBytes) {
  std::string name;
  for (int i = 0; i < 64; ++i) {
    name += "é";  // two bytes each
  }
  EXPECT_TRUE(NormalizeDisplayName(name).ok());
  EXPECT_FALSE(NormalizeDisplayName(name + "é").ok());
  EXPECT_FALSE(NormalizeDisplayName("").ok());
  EXPECT_FALSE(NormalizeDisplayName("a\x85" "b").ok());          // not UTF-8
  EXPECT_FALSE(NormalizeDisplayName("a\xC2\x85" "b").ok());      // C1 control U+0085
  EXPECT_EQ(*NormalizeDisplayName("  Ann  "), "Ann");
}

TEST(HistoryPageTest, LimitAndBounds) {
  EXPECT_TRUE(ValidateHistoryPage(0, 0, 0).ok());
  EXPECT_TRUE(ValidateHistoryPage(0, 1, kMaxHistoryLimit).ok());
  EXPECT_TRUE(ValidateHistoryPage(5, 6, 10).ok());
  EXPECT_TRUE(ValidateHistoryPage(5, 0, 10).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateHistoryPage(0, 0, kMaxHistoryLimit + 1)));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateHistoryPage(5, 5, 10)));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateHistoryPage(6, 5, 10)));
}

}  // namespace
}  // namespace roomd
