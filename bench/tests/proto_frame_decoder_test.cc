#include "bench/proto_frame_decoder.h"

#include <gtest/gtest.h>

#include "bench/payload.h"
#include "bench/tests/participant_fixture.h"
#include "chat/v1/chat.pb.h"

namespace bench {
namespace {

chat::v1::ServerEvent MessageEvent(uint32_t sender, uint64_t seq, int64_t sent_ns) {
  chat::v1::ServerEvent event;
  chat::v1::ChatMessage* m = event.mutable_message();
  m->set_room("bench");
  m->set_seq(seq);
  m->mutable_from()->set_id("abc");
  m->mutable_from()->set_name("u1");
  m->set_text(FormatPayload(Payload{sender, seq, sent_ns}, 0));
  m->mutable_sent_at()->set_seconds(1700000000);
  m->set_client_id("x");
  return event;
}

class ProtoFrameDecoderTest : public ParticipantFixture {
 protected:
  absl::Status Decode(const chat::v1::ServerEvent& event, int64_t now_ns = 10) {
    return ProtoFrameDecoder::Decode(event.SerializeAsString(), now_ns, participant_.get());
  }
};

TEST_F(ProtoFrameDecoderTest, SingleMessage) {
  ASSERT_TRUE(Decode(MessageEvent(1, 1, 1'000), 3'000).ok());
  EXPECT_EQ(participant_->stats().received, 1u);
  EXPECT_EQ(participant_->stats().from_sender[1], 1u);
  ASSERT_NE(participant_->latency(), nullptr);
  EXPECT_EQ(participant_->latency()->max_us(), 2);
}

TEST_F(ProtoFrameDecoderTest, BatchWithEveryKind) {
  chat::v1::ServerEvent batch;
  *batch.mutable_batch()->add_events() = MessageEvent(0, 1, 1);
  chat::v1::ServerEvent* presence = batch.mutable_batch()->add_events();
  presence->mutable_presence()->set_online_count(42);
  presence->mutable_presence()->mutable_joined()->set_name("u42");
  batch.mutable_batch()->add_events()->mutable_typing()->set_active(true);
  *batch.mutable_batch()->add_events() = MessageEvent(0, 3, 1);
  *batch.mutable_batch()->add_events() = MessageEvent(0, 2, 1);
  chat::v1::Error* error = batch.mutable_batch()->add_events()->mutable_error();
  error->set_code("RESOURCE_EXHAUSTED");
  error->set_message("rate limit");
  error->set_client_id("7");
  ASSERT_TRUE(Decode(batch).ok());
  EXPECT_EQ(participant_->stats().received, 3u);
  EXPECT_EQ(participant_->stats().out_of_order, 1u);
  EXPECT_EQ(participant_->max_online(), 42u);
  EXPECT_EQ(participant_->stats().errors, 1u);
  EXPECT_EQ(participant_->first_error(), "RESOURCE_EXHAUSTED: rate limit");
}

TEST_F(ProtoFrameDecoderTest, WelcomeCountsOnlineUsers) {
  chat::v1::ServerEvent event;
  chat::v1::Welcome* welcome = event.mutable_welcome();
  welcome->set_room("bench");
  for (int i = 0; i < 4; ++i) {
    welcome->add_online()->set_name("u");
  }
  *welcome->add_history() = MessageEvent(0, 1, 1).message();
  welcome->set_last_seq(1);
  ASSERT_TRUE(Decode(event).ok());
  EXPECT_TRUE(participant_->welcomed());
  EXPECT_EQ(participant_->max_online(), 4u);
  EXPECT_EQ(participant_->stats().received, 0u);  // history is not a delivery
}

TEST_F(ProtoFrameDecoderTest, ABigRoomsWelcomeCountsByOnlineCount) {
  chat::v1::ServerEvent event;
  chat::v1::Welcome* welcome = event.mutable_welcome();
  welcome->add_online()->set_name("u");
  welcome->set_online_count(5000);
  welcome->set_online_next_page_token("a:u");
  ASSERT_TRUE(Decode(event).ok());
  EXPECT_EQ(participant_->max_online(), 5000u);
}

TEST_F(ProtoFrameDecoderTest, MalformedBytesAreAnError) {
  const std::string bytes = MessageEvent(0, 1, 1).SerializeAsString();
  EXPECT_FALSE(ProtoFrameDecoder::Decode(bytes.substr(0, bytes.size() - 3), 10,
                                         participant_.get())
                   .ok());
  EXPECT_FALSE(ProtoFrameDecoder::Decode("\xff\xff\xff", 10, participant_.get()).ok());
  chat::v1::ServerEvent nested;
  *nested.mutable_batch()->add_events()->mutable_batch()->add_events() = MessageEvent(0, 1, 1);
  EXPECT_FALSE(Decode(nested).ok());
}

}  // namespace
}  // namespace bench
