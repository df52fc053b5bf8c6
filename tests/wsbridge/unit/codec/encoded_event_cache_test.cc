#include "wsbridge/codec/encoded_event_cache.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace wsbridge {
namespace {

TEST(EncodedEventCacheTest, EncodesEachDistinctEventOnce) {
  EncodedEventCache cache;
  int encodes = 0;
  auto encode_as = [&](std::string json) {
    return [&encodes, json]() -> absl::StatusOr<Frame> {
      ++encodes;
      return std::make_shared<const std::string>(json);
    };
  };
  auto first = cache.GetOrEncode("a", encode_as("A"));
  auto again = cache.GetOrEncode("a", encode_as("other"));
  auto second = cache.GetOrEncode("b", encode_as("B"));
  ASSERT_TRUE(first.ok() && again.ok() && second.ok());
  EXPECT_EQ(first->get(), again->get());  // the very same shared frame
  EXPECT_EQ(**second, "B");
  EXPECT_EQ(encodes, 2);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(EncodedEventCacheTest, FailuresAreNotCached) {
  EncodedEventCache cache;
  auto failed = cache.GetOrEncode("x", [] { return absl::StatusOr<Frame>(absl::InternalError("no")); });
  EXPECT_FALSE(failed.ok());
  auto ok = cache.GetOrEncode("x", [] { return absl::StatusOr<Frame>(std::make_shared<const std::string>("X")); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(**ok, "X");
}

TEST(EncodedEventCacheTest, StaysBoundedAndForgetsOldEvents) {
  EncodedEventCache cache(/*generation_bytes=*/256);
  int encodes = 0;
  auto encode = [&]() -> absl::StatusOr<Frame> {
    ++encodes;
    return std::make_shared<const std::string>(std::string(32, 'j'));
  };
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(cache.GetOrEncode(absl::StrCat("key-", i), encode).ok());
  }
  EXPECT_EQ(encodes, 2000);
  // The first keys were dropped long ago: asking again encodes again.
  ASSERT_TRUE(cache.GetOrEncode("key-0", encode).ok());
  EXPECT_EQ(encodes, 2001);
  // The newest is still there.
  ASSERT_TRUE(cache.GetOrEncode("key-1999", encode).ok());
  EXPECT_EQ(encodes, 2001);
}

}  // namespace
}  // namespace wsbridge
