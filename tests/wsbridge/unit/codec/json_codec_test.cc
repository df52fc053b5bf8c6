#include "wsbridge/codec/json_codec.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace wsbridge {
namespace {

class JsonCodecTest : public ::testing::Test {
 protected:
  absl::Status Parse(absl::string_view text) { return codec_.ParseClientEvent(text, &event_); }

  JsonCodec codec_;
  chat::v1::ClientEvent event_;
};

TEST_F(JsonCodecTest, ParsesEveryClientEvent) {
  ASSERT_TRUE(Parse(R"({"join":{"room":"lobby","email":"ann@example.com","name":"Ann",
                        "afterSeq":"42"}})").ok());
  EXPECT_EQ(event_.join().room(), "lobby");
  EXPECT_EQ(event_.join().email(), "ann@example.com");
  EXPECT_EQ(event_.join().name(), "Ann");
  EXPECT_EQ(event_.join().after_seq(), 42u);

  ASSERT_TRUE(Parse(R"({"send":{"text":"hi","clientId":"c1"}})").ok());
  EXPECT_EQ(event_.send().text(), "hi");
  EXPECT_EQ(event_.send().client_id(), "c1");

  ASSERT_TRUE(Parse(R"({"typing":{"active":true}})").ok());
  EXPECT_TRUE(event_.typing().active());

  ASSERT_TRUE(Parse(R"({"leave":{}})").ok());
  EXPECT_TRUE(event_.has_leave());
}

TEST_F(JsonCodecTest, AcceptsProtoFieldNamesAndNumericSeq) {
  ASSERT_TRUE(Parse(R"({"join":{"room":"r","email":"e@x.y","after_seq":7}})").ok());
  EXPECT_EQ(event_.join().after_seq(), 7u);
}

TEST_F(JsonCodecTest, KeepsUnicodeText) {
  ASSERT_TRUE(Parse(R"({"send":{"text":"h\u00e9 \ud83d\ude00 ✓"}})").ok());
  EXPECT_EQ(event_.send().text(), "h\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x9C\x93");
}

TEST_F(JsonCodecTest, RejectsWhatIsNotAClientEvent) {
  for (const char* bad : {"", "hello", "[]", "null", "42", "{", R"({"send":{"text":"x"}} x)",
                          R"({"join":5})", R"({"send":{"text":7}})", R"({"typing":{"active":1}})",
                          R"({"send":{"text":"x","color":"red"}})", R"({"shout":{}})",
                          R"({"send":{"text":"x"},"leave":{}})", R"({})", R"({"send":null})",
                          R"({"send":{"text":"\ud800"}})", "{\"send\":{\"text\":\"\xff\"}}"}) {
    SCOPED_TRACE(bad);
    const absl::Status status = Parse(bad);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(absl::StrContains(status.message(), "\n")) << status.message();
  }
}

TEST_F(JsonCodecTest, EncodesSeqAsStringAndFieldsInCamelCase) {
  chat::v1::ServerEvent event;
  auto* message = event.mutable_message();
  message->set_room("lobby");
  message->set_seq(12);
  message->set_text("hi");
  message->mutable_from()->set_avatar_url("https://example.com/a.png");
  message->set_client_id("c1");
  auto frame = codec_.EncodeServerEvent(event);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(**frame,
            R"({"message":{"room":"lobby","seq":"12","from":{"avatarUrl":"https://example.com/a.png"},)"
            R"("text":"hi","clientId":"c1"}})");
}

TEST_F(JsonCodecTest, EncodesABatchAsOneFrame) {
  chat::v1::ServerEvent event;
  auto* batch = event.mutable_batch();
  batch->add_events()->mutable_message()->set_seq(1);
  batch->add_events()->mutable_typing()->set_active(true);
  auto frame = codec_.EncodeServerEvent(event);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(**frame,
            R"({"batch":{"events":[{"message":{"seq":"1"}},{"typing":{"active":true}}]}})");
}

TEST_F(JsonCodecTest, EncodesErrors) {
  EXPECT_EQ(*codec_.EncodeError(absl::StatusCode::kInvalidArgument, "bad \"frame\""),
            R"({"error":{"code":"INVALID_ARGUMENT","message":"bad \"frame\""}})");
  // Text that is not UTF-8 never makes an invalid frame.
  EXPECT_EQ(*codec_.EncodeError(absl::StatusCode::kInternal, "a\xff"),
            R"({"error":{"code":"INTERNAL","message":"a?"}})");
}

}  // namespace
}  // namespace wsbridge
