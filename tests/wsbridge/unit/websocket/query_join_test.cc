#include "wsbridge/websocket/query_join.h"

#include <gtest/gtest.h>

namespace wsbridge {
namespace {

TEST(QueryJoinTest, BuildsTheJoin) {
  auto join = JoinFromTarget("/chat?email=ann%40example.com&room=lobby&name=Ann+B&after_seq=9");
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(join->has_value());
  EXPECT_EQ((*join)->email(), "ann@example.com");
  EXPECT_EQ((*join)->room(), "lobby");
  EXPECT_EQ((*join)->name(), "Ann B");
  EXPECT_EQ((*join)->after_seq(), 9u);
}

TEST(QueryJoinTest, NoEmailOrRoomMeansNoJoin) {
  auto none = JoinFromTarget("/chat");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto other = JoinFromTarget("/chat?v=2&name=x");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST(QueryJoinTest, PartialJoinIsLeftToRoomdToJudge) {
  auto join = JoinFromTarget("/chat?email=ann%40example.com");
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(join->has_value());
  EXPECT_EQ((*join)->room(), "");
}

TEST(QueryJoinTest, RejectsBadValues) {
  EXPECT_FALSE(JoinFromTarget("/chat?email=a&room=r&after_seq=x").ok());
  EXPECT_FALSE(JoinFromTarget("/chat?email=a&room=r&after_seq=-1").ok());
  EXPECT_FALSE(JoinFromTarget("/chat?email=%ff&room=r").ok());
  EXPECT_FALSE(JoinFromTarget("/chat?email=%zz&room=r").ok());
}

}  // namespace
}  // namespace wsbridge
