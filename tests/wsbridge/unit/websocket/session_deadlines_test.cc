#include "wsbridge/websocket/session_deadlines.h"

#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace wsbridge {
namespace session_deadlines_test {
namespace {

namespace net = boost::asio;
using Kind = SessionDeadlines::Kind;
using std::chrono::hours;
using std::chrono::milliseconds;

// What a session does: notes each deadline due and arms again through one helper.
struct Owner {
  explicit Owner(net::io_context& loop) : deadlines(loop.get_executor()) {}
  SessionDeadlines deadlines;
  std::vector<Kind> due;
};

void Arm(const std::shared_ptr<Owner>& owner) {
  owner->deadlines.Arm([owner](Kind kind) { owner->due.push_back(kind); });
}

TEST(SessionDeadlinesTest, TwoDeadlinesSetTogetherEachComeOnceInTimeOrder) {
  net::io_context loop(1);
  auto owner = std::make_shared<Owner>(loop);
  owner->deadlines.Set(Kind::kPing, milliseconds(30));
  owner->deadlines.Set(Kind::kJoin, milliseconds(1));
  Arm(owner);
  loop.run();  // returns once nothing is set: no wait is left
  EXPECT_EQ(owner->due, (std::vector<Kind>{Kind::kJoin, Kind::kPing}));
  EXPECT_FALSE(owner->deadlines.IsSet(Kind::kPing));
  EXPECT_EQ(owner.use_count(), 1);
}

TEST(SessionDeadlinesTest, AnEarlierDeadlineCutsTheWaitForALaterOneShort) {
  net::io_context loop(1);
  auto owner = std::make_shared<Owner>(loop);
  owner->deadlines.Set(Kind::kLinger, hours(1));
  Arm(owner);
  owner->deadlines.Set(Kind::kClose, milliseconds(1));
  owner->deadlines.Arm([owner](Kind kind) {
    owner->due.push_back(kind);
    owner->deadlines.Clear(Kind::kLinger);  // what is left is cleared: the loop ends
  });
  loop.run();
  EXPECT_EQ(owner->due, std::vector<Kind>{Kind::kClose});
  EXPECT_EQ(owner.use_count(), 1);
}

TEST(SessionDeadlinesTest, ClearingTheLastDeadlineLetsGoOfTheHandler) {
  net::io_context loop(1);
  auto owner = std::make_shared<Owner>(loop);
  owner->deadlines.Set(Kind::kPing, hours(1));
  Arm(owner);
  EXPECT_GT(owner.use_count(), 1);  // the wait holds it
  owner->deadlines.Clear(Kind::kPing);
  loop.run();
  EXPECT_TRUE(owner->due.empty());
  EXPECT_EQ(owner.use_count(), 1);
}

TEST(SessionDeadlinesTest, ClearingOneOfTwoKeepsTheOther) {
  net::io_context loop(1);
  auto owner = std::make_shared<Owner>(loop);
  owner->deadlines.Set(Kind::kJoin, milliseconds(1));
  owner->deadlines.Set(Kind::kPing, milliseconds(5));
  Arm(owner);
  owner->deadlines.Clear(Kind::kJoin);
  loop.run();
  EXPECT_EQ(owner->due, std::vector<Kind>{Kind::kPing});
}

TEST(SessionDeadlinesTest, SettingAgainReplacesTheTimeAndAHandlerMaySetItsOwnKind) {
  net::io_context loop(1);
  auto owner = std::make_shared<Owner>(loop);
  int pings = 0;
  owner->deadlines.Set(Kind::kPing, hours(1));
  owner->deadlines.Set(Kind::kPing, milliseconds(1));  // replaces the hour
  owner->deadlines.Arm([owner, &pings](Kind kind) {
    owner->due.push_back(kind);
    if (++pings < 3) {
      owner->deadlines.Set(Kind::kPing, milliseconds(1));  // the handler re-arms after
    }
  });
  loop.run();
  EXPECT_EQ(pings, 3);
  EXPECT_EQ(owner.use_count(), 1);
}

}  // namespace
}  // namespace session_deadlines_test
}  // namespace wsbridge
