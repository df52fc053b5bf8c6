#include "wsbridge/http/url.h"

#include <gtest/gtest.h>

namespace wsbridge {
namespace {

TEST(UrlTest, PercentDecode) {
  EXPECT_EQ(*PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("%2e%2E", false), "..");
  EXPECT_FALSE(PercentDecode("%", false).ok());
  EXPECT_FALSE(PercentDecode("%4", false).ok());
  EXPECT_FALSE(PercentDecode("%zz", false).ok());
  EXPECT_FALSE(PercentDecode("a%00b", false).ok());
}

TEST(UrlTest, SplitsTargets) {
  EXPECT_EQ(TargetPath("/chat?room=x"), "/chat");
  EXPECT_EQ(TargetQuery("/chat?room=x"), "room=x");
  EXPECT_EQ(TargetPath("/chat"), "/chat");
  EXPECT_EQ(TargetQuery("/chat"), "");
}

TEST(UrlTest, ParsesQueries) {
  auto params = ParseQuery("a=1&&b=x%20y&flag&c=");
  ASSERT_TRUE(params.ok());
  ASSERT_EQ(params->size(), 4u);
  EXPECT_EQ((*params)[0], std::make_pair(std::string("a"), std::string("1")));
  EXPECT_EQ((*params)[1], std::make_pair(std::string("b"), std::string("x y")));
  EXPECT_EQ((*params)[2], std::make_pair(std::string("flag"), std::string()));
  EXPECT_EQ((*params)[3], std::make_pair(std::string("c"), std::string()));
  EXPECT_FALSE(ParseQuery("a=%ff").ok());  // not UTF-8
  EXPECT_FALSE(ParseQuery("a=%g").ok());
}

}  // namespace
}  // namespace wsbridge
