#include "common/log.h"

#include <gtest/gtest.h>

namespace chat {
namespace {

TEST(LogTest, TextLinesKeepTheClassicShapeAndQuoteValuesWithSpaces) {
  EXPECT_EQ(FormatLogLine("T", "roomd", "", "listening on x", {}, LogFormat::kText),
            "T roomd: listening on x");
  EXPECT_EQ(FormatLogLine("T", "roomd", "disconnect", "",
                          {{"conn", "7"}, {"reason", "slow consumer"}, {"room", ""}},
                          LogFormat::kText),
            "T roomd: disconnect conn=7 reason=\"slow consumer\" room=\"\"");
}

TEST(LogTest, JsonLinesAreOneObjectWithEscapedStrings) {
  EXPECT_EQ(FormatLogLine("T", "wsbridge", "", "a \"b\"\n\x01", {}, LogFormat::kJson),
            "{\"time\":\"T\",\"daemon\":\"wsbridge\",\"msg\":\"a \\\"b\\\"\\n\\u0001\"}");
  EXPECT_EQ(FormatLogLine("T", "roomd", "connect", "", {{"conn", "1"}, {"peer", "ipv4:x"}},
                          LogFormat::kJson),
            "{\"time\":\"T\",\"daemon\":\"roomd\",\"event\":\"connect\",\"conn\":\"1\","
            "\"peer\":\"ipv4:x\"}");
}

TEST(LogTest, ParsesTheFlag) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml", &format));
}

}  // namespace
}  // namespace chat
