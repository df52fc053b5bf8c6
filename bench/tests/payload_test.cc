#include "bench/payload.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(PayloadTest, RoundTrips) {
  const Payload in{7, 123456789, 987654321012345};
  const std::string text = FormatPayload(in, 0);
  EXPECT_EQ(text, "#b 7 123456789 987654321012345");
  const std::optional<Payload> out = ParsePayload(text);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->sender, 7u);
  EXPECT_EQ(out->seq, 123456789u);
  EXPECT_EQ(out->sent_ns, 987654321012345);
}

TEST(PayloadTest, PadsToTheRequestedSizeAndStillParses) {
  const std::string text = FormatPayload(Payload{1, 2, 3}, 100);
  EXPECT_EQ(text.size(), 100u);
  const std::optional<Payload> out = ParsePayload(text);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->seq, 2u);
  EXPECT_EQ(out->sent_ns, 3);
}

TEST(PayloadTest, RejectsOtherTexts) {
  EXPECT_FALSE(ParsePayload("hello").has_value());
  EXPECT_FALSE(ParsePayload("#b ").has_value());
  EXPECT_FALSE(ParsePayload("#b 1 2").has_value());
  EXPECT_FALSE(ParsePayload("#b 1 x 3").has_value());
  EXPECT_FALSE(ParsePayload("#b 99999999999 1 3").has_value());  // sender beyond uint32
}

}  // namespace
}  // namespace bench
