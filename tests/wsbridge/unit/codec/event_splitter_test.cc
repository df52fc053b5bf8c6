#include "wsbridge/codec/event_splitter.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "chat/v1/chat.pb.h"
#include "common/ring_deque.h"
#include "wsbridge/codec/json_codec.h"

namespace wsbridge {
namespace {

chat::v1::ServerEvent Message(std::uint64_t seq, const std::string& text) {
  chat::v1::ServerEvent event;
  auto* message = event.mutable_message();
  message->set_room("lobby");
  message->set_seq(seq);
  message->set_text(text);
  message->mutable_from()->set_name("ann");
  message->mutable_sent_at()->set_seconds(1700000000);
  return event;
}

TEST(EventSplitterTest, LoneEventIsOneElement) {
  const std::string bytes = Message(3, "hi").SerializeAsString();
  const auto slices = SplitServerEvent(bytes);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].bytes, bytes);
  EXPECT_EQ(slices[0].field, kMessageField);
}

TEST(EventSplitterTest, BatchSplitsIntoItsEventsAndJoinsBackToTheSameJson) {
  chat::v1::ServerEvent batch;
  *batch.mutable_batch()->add_events() = Message(1, std::string(300, 'x'));  // 2-byte length
  batch.mutable_batch()->add_events()->mutable_typing()->set_active(true);
  batch.mutable_batch()->add_events()->mutable_welcome()->set_room("lobby");
  const std::string bytes = batch.SerializeAsString();

  const auto slices = SplitServerEvent(bytes);
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(slices[0].field, kMessageField);
  EXPECT_EQ(slices[1].field, kTypingField);
  EXPECT_EQ(slices[2].field, kWelcomeField);

  JsonCodec codec;
  chat::RingDeque<Frame> frames;
  for (const auto& slice : slices) {
    auto frame = codec.EncodeServerEventBytes(slice.bytes);
    ASSERT_TRUE(frame.ok());
    frames.push_back(*frame);
  }
  std::string joined;
  AppendBatchFrame(frames, frames.size(), &joined);
  auto whole = codec.EncodeServerEvent(batch);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(joined, **whole);
}

TEST(EventSplitterTest, EmptyBatchCarriesNothing) {
  chat::v1::ServerEvent batch;
  batch.mutable_batch();
  EXPECT_TRUE(SplitServerEvent(batch.SerializeAsString()).empty());
}

TEST(EventSplitterTest, MalformedBytesStayWholeForTheFullParser) {
  const std::string truncated = "\x32\x10\x0a";  // batch claims 16 bytes, has 1
  const auto slices = SplitServerEvent(truncated);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].bytes, truncated);
  JsonCodec codec;
  EXPECT_FALSE(codec.EncodeServerEventBytes(truncated).ok());
}

}  // namespace
}  // namespace wsbridge
