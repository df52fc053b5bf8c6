#include "bench/json_frame_decoder.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "bench/payload.h"
#include "bench/tests/participant_fixture.h"

namespace bench {
namespace {

std::string MessageJson(uint32_t sender, uint64_t seq, int64_t sent_ns) {
  return absl::StrCat(R"({"message":{"room":"bench","seq":")", seq,
                      R"(","from":{"id":"abc","name":"u1","avatarUrl":"https://x/y"},"text":")",
                      FormatPayload(Payload{sender, seq, sent_ns}, 0),
                      R"(","sentAt":"2024-01-01T00:00:00Z","clientId":")", seq, R"("}})");
}

using JsonFrameDecoderTest = ParticipantFixture;

TEST_F(JsonFrameDecoderTest, SingleMessageTakesTheFastPath) {
  const std::string frame = MessageJson(1, 1, 100'000);
  EXPECT_FALSE(JsonFrameDecoder::NeedsFullParse(frame));
  ASSERT_TRUE(JsonFrameDecoder::Decode(frame, 2'100'000, participant_.get()).ok());
  EXPECT_EQ(participant_->stats().received, 1u);
  EXPECT_EQ(participant_->stats().from_sender[1], 1u);
  EXPECT_EQ(participant_->stats().deliveries_measured, 1u);
  ASSERT_NE(participant_->latency(), nullptr);
  EXPECT_EQ(participant_->latency()->max_us(), 2000);
}

TEST_F(JsonFrameDecoderTest, BatchOfMessagesCountsEachAndSpotsDisorder) {
  const std::string frame = absl::StrCat(R"({"batch":{"events":[)", MessageJson(0, 1, 1), ",",
                                         MessageJson(0, 3, 1), ",", MessageJson(0, 2, 1), ",",
                                         MessageJson(1, 1, 1), "]}}");
  EXPECT_FALSE(JsonFrameDecoder::NeedsFullParse(frame));
  ASSERT_TRUE(JsonFrameDecoder::Decode(frame, 10, participant_.get()).ok());
  EXPECT_EQ(participant_->stats().received, 4u);
  EXPECT_EQ(participant_->stats().from_sender[0], 3u);
  EXPECT_EQ(participant_->stats().out_of_order, 1u);
}

TEST_F(JsonFrameDecoderTest, MixedBatchIsParsedInFull) {
  const std::string frame = absl::StrCat(
      R"({"batch":{"events":[)", MessageJson(0, 1, 1),
      R"(,{"presence":{"room":"bench","joined":{"id":"a","name":"u7"},"onlineCount":7}},)",
      MessageJson(1, 1, 1), "]}}");
  EXPECT_TRUE(JsonFrameDecoder::NeedsFullParse(frame));
  ASSERT_TRUE(JsonFrameDecoder::Decode(frame, 10, participant_.get()).ok());
  EXPECT_EQ(participant_->stats().received, 2u);
  EXPECT_EQ(participant_->max_online(), 7u);
}

TEST_F(JsonFrameDecoderTest, WelcomeCountsTheOnlineListAndIgnoresHistory) {
  const std::string frame = absl::StrCat(
      R"({"welcome":{"self":{"id":"a"},"room":"bench","online":[{"id":"a"},{"id":"b"},{"id":"c"}],)",
      R"("history":[{"room":"bench","seq":"1","text":"#b 0 1 1"}],"lastSeq":"1"}})");
  ASSERT_TRUE(JsonFrameDecoder::Decode(frame, 10, participant_.get()).ok());
  EXPECT_TRUE(participant_->welcomed());
  EXPECT_EQ(participant_->max_online(), 3u);
  EXPECT_EQ(participant_->stats().received, 0u);
}

TEST_F(JsonFrameDecoderTest, ABigRoomsWelcomeCountsByOnlineCount) {
  participant_->OnJoinSent(1000);
  ASSERT_TRUE(JsonFrameDecoder::Decode(
                  R"({"welcome":{"self":{"id":"a"},"room":"bench","online":[{"id":"a"}],)"
                  R"("onlineCount":5000,"onlineNextPageToken":"a:u"}})",
                  3000, participant_.get())
                  .ok());
  EXPECT_EQ(participant_->max_online(), 5000u);  // not the first page's length
  EXPECT_EQ(participant_->welcome_ns(), 2000);
}

TEST_F(JsonFrameDecoderTest, ErrorIsCounted) {
  ASSERT_TRUE(JsonFrameDecoder::Decode(
                  R"({"error":{"code":"RESOURCE_EXHAUSTED","message":"rate limit","clientId":"4"}})",
                  10, participant_.get())
                  .ok());
  EXPECT_EQ(participant_->stats().errors, 1u);
  EXPECT_EQ(participant_->first_error(), "RESOURCE_EXHAUSTED: rate limit");
}

TEST_F(JsonFrameDecoderTest, OtherTextsAreForeign) {
  const std::string frame =
      R"({"message":{"room":"bench","seq":"9","text":"hi \"there\"","clientId":"x"}})";
  ASSERT_TRUE(JsonFrameDecoder::Decode(frame, 10, participant_.get()).ok());
  EXPECT_EQ(participant_->stats().foreign, 1u);
  EXPECT_EQ(participant_->stats().received, 0u);
}

TEST_F(JsonFrameDecoderTest, GarbageIsAnError) {
  EXPECT_FALSE(JsonFrameDecoder::Decode("{not json", 10, participant_.get()).ok());
  EXPECT_FALSE(JsonFrameDecoder::Decode(R"({"surprise":{}})", 10, participant_.get()).ok());
  EXPECT_FALSE(
      JsonFrameDecoder::Decode(R"({"message":{"text":"#b 0 1 1)", 10, participant_.get()).ok());
}

TEST_F(JsonFrameDecoderTest, OnlyMeasuredArrivalsAreTimed) {
  ASSERT_TRUE(
      JsonFrameDecoder::Decode(MessageJson(0, 1, 1), 2'000'000'000, participant_.get()).ok());
  EXPECT_EQ(participant_->stats().received, 1u);
  EXPECT_EQ(participant_->stats().deliveries_measured, 0u);
  EXPECT_EQ(participant_->latency(), nullptr);
}

}  // namespace
}  // namespace bench
