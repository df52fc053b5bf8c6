#include "wsbridge/websocket/close_codes.h"

#include <string>

#include <gtest/gtest.h>

#include "common/utf8.h"

namespace wsbridge {
namespace {

TEST(CloseCodesTest, RoomdStatusMapsTo4000PlusCode) {
  EXPECT_EQ(CloseCodeForStatus(grpc::StatusCode::OK), 4000);
  EXPECT_EQ(CloseCodeForStatus(grpc::StatusCode::INVALID_ARGUMENT), 4003);
  EXPECT_EQ(CloseCodeForStatus(grpc::StatusCode::RESOURCE_EXHAUSTED), 4008);
  EXPECT_EQ(CloseCodeForStatus(grpc::StatusCode::UNAVAILABLE), 4014);
  EXPECT_EQ(CloseCodeForStatus(grpc::StatusCode::UNAUTHENTICATED), 4016);
  EXPECT_EQ(CloseCodeForStatus(static_cast<grpc::StatusCode>(20)), 4002);  // UNKNOWN
  EXPECT_EQ(kCloseSlowConsumer, 4008);
  EXPECT_EQ(kCloseJoinTimeout, 4004);
}

TEST(CloseCodesTest, ReasonIsAtMost123BytesOfValidUtf8) {
  std::string long_reason;
  for (int i = 0; i < 100; ++i) {
    long_reason += "\xC3\xA9";  // 200 bytes of "é"
  }
  const auto reason = MakeCloseReason(4014, long_reason + "\xFF");
  const std::string text(reason.reason.data(), reason.reason.size());
  EXPECT_EQ(reason.code, 4014);
  EXPECT_LE(text.size(), 123u);
  EXPECT_EQ(text.size(), 122u);  // 61 whole characters; the 62nd would not fit
  EXPECT_TRUE(chat::IsValidUtf8(text));
  EXPECT_EQ(std::string(MakeCloseReason(1001, "bye\xFF").reason.data(), 4), "bye?");
}

}  // namespace
}  // namespace wsbridge
