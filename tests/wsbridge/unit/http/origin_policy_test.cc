#include "wsbridge/http/origin_policy.h"

#include <gtest/gtest.h>

namespace wsbridge {
namespace {

TEST(OriginPolicyTest, DefaultAllowsOnlyTheBridgesOwnHost) {
  const OriginPolicy policy({});
  EXPECT_TRUE(policy.Allows("", "127.0.0.1:8080"));  // not a browser
  EXPECT_TRUE(policy.Allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(policy.Allows("HTTP://LocalHost:8080/", "localhost:8080"));
  EXPECT_TRUE(policy.Allows("http://chat.example.com", "chat.example.com"));
  EXPECT_TRUE(policy.Allows("https://chat.example.com", "chat.example.com"));  // TLS in front
  EXPECT_TRUE(policy.Allows("http://[::1]:8080", "[::1]:8080"));
  EXPECT_FALSE(policy.Allows("http://127.0.0.1:9999", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("http://evil.example:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("http://127.0.0.1.evil.example:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("null", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("file://", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.Allows("http://127.0.0.1:8080", ""));
  EXPECT_FALSE(policy.Allows("http://127.0.0.1:8080/path", "127.0.0.1:8080"));
}

TEST(OriginPolicyTest, ListedOriginsAndWildcard) {
  const OriginPolicy listed({"https://Chat.Example.com/"});
  EXPECT_TRUE(listed.Allows("https://chat.example.com", "127.0.0.1:8080"));
  EXPECT_FALSE(listed.Allows("http://chat.example.com", "127.0.0.1:8080"));
  EXPECT_TRUE(listed.Allows("http://127.0.0.1:8080", "127.0.0.1:8080"));  // own host still
  const OriginPolicy any({"*"});
  EXPECT_TRUE(any.Allows("http://evil.example", "127.0.0.1:8080"));
  EXPECT_TRUE(any.Allows("null", "127.0.0.1:8080"));
}

}  // namespace
}  // namespace wsbridge
