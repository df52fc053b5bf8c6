#include "common/log_rate_limiter.h"

#include <gtest/gtest.h>

namespace chat {
namespace {

TEST(LogRateLimiterTest, AFewLinesPerWindowThenTheCountOfTheRest) {
  LogRateLimiter limiter(3, absl::Seconds(1));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i) {
    const LogRateLimiter::Decision decision = limiter.Admit(t0 + absl::Milliseconds(i));
    EXPECT_TRUE(decision.write);
    EXPECT_EQ(decision.suppressed, 0);
  }
  for (int i = 0; i < 500; ++i) {
    EXPECT_FALSE(limiter.Admit(t0 + absl::Milliseconds(10 + i)).write);
  }
  // The next window's first line carries the count; its second carries nothing.
  LogRateLimiter::Decision next = limiter.Admit(t0 + absl::Seconds(1));
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.suppressed, 500);
  next = limiter.Admit(t0 + absl::Seconds(1) + absl::Milliseconds(1));
  EXPECT_TRUE(next.write);
  EXPECT_EQ(next.suppressed, 0);
}

TEST(LogRateLimiterTest, AQuietLogWritesEveryLine) {
  LogRateLimiter limiter(1, absl::Seconds(1));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(limiter.Admit(t0 + absl::Seconds(2 * i)).write);
  }
}

TEST(LogRateLimiterTest, TheNoteSaysHowManyAndWhat) {
  EXPECT_EQ(LogRateLimiter::SuppressedNote(42, "TLS handshake failure"),
            "42 more TLS handshake failure lines suppressed");
}

}  // namespace
}  // namespace chat
