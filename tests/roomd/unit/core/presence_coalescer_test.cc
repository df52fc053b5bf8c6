#include "roomd/core/presence_coalescer.h"

#include <gtest/gtest.h>

#include "roomd/core/identity.h"
#include "tests/roomd/unit/core/test_user.h"

namespace roomd {
namespace {

using roomd::testing::UserFor;

TEST(PresenceCoalescerTest, ListsEachChangeOnceInTheOrderOfFirstChange) {
  PresenceCoalescer coalescer(10);
  EXPECT_TRUE(coalescer.empty());
  coalescer.Joined(MakeUserRef(UserFor("ann@example.com")));
  coalescer.Left(MakeUserRef(UserFor("bob@example.com")));
  coalescer.Joined(MakeUserRef(UserFor("cat@example.com")));
  EXPECT_FALSE(coalescer.empty());
  const chat::v1::Presence presence = coalescer.Take("lobby", 7);
  EXPECT_EQ(presence.room(), "lobby");
  EXPECT_EQ(presence.online_count(), 7u);
  EXPECT_FALSE(presence.truncated());
  EXPECT_FALSE(presence.has_joined());
  EXPECT_FALSE(presence.has_left());
  ASSERT_EQ(presence.joined_users_size(), 2);
  EXPECT_EQ(presence.joined_users(0).name(), "ann");
  EXPECT_EQ(presence.joined_users(1).name(), "cat");
  ASSERT_EQ(presence.left_users_size(), 1);
  EXPECT_EQ(presence.left_users(0).name(), "bob");
  EXPECT_TRUE(coalescer.empty());
}

TEST(PresenceCoalescerTest, TheLastChangeOfAUserWins) {
  PresenceCoalescer coalescer(10);
  // Joined then left within a tick: a member whose Welcome listed them must drop them.
  coalescer.Joined(MakeUserRef(UserFor("ann@example.com")));
  coalescer.Left(MakeUserRef(UserFor("ann@example.com")));
  // Left then back: a member that saw the leave must list them again.
  coalescer.Left(MakeUserRef(UserFor("bob@example.com")));
  coalescer.Joined(MakeUserRef(UserFor("bob@example.com")));
  const chat::v1::Presence presence = coalescer.Take("lobby", 1);
  ASSERT_EQ(presence.left_users_size(), 1);
  EXPECT_EQ(presence.left_users(0).name(), "ann");
  ASSERT_EQ(presence.joined_users_size(), 1);
  EXPECT_EQ(presence.joined_users(0).name(), "bob");
}

TEST(PresenceCoalescerTest, MoreChangesThanTheBoundSendTheCountOnly) {
  PresenceCoalescer coalescer(3);
  for (int i = 0; i < 4; ++i) {
    coalescer.Joined(MakeUserRef(UserFor("u" + std::to_string(i) + "@example.com")));
  }
  const chat::v1::Presence presence = coalescer.Take("lobby", 4);
  EXPECT_TRUE(presence.truncated());
  EXPECT_EQ(presence.online_count(), 4u);
  EXPECT_EQ(presence.joined_users_size(), 0);
  EXPECT_EQ(presence.left_users_size(), 0);
  EXPECT_TRUE(coalescer.empty());
  // The next tick starts afresh.
  coalescer.Left(MakeUserRef(UserFor("u0@example.com")));
  const chat::v1::Presence next = coalescer.Take("lobby", 3);
  EXPECT_FALSE(next.truncated());
  EXPECT_EQ(next.left_users_size(), 1);
}

}  // namespace
}  // namespace roomd
