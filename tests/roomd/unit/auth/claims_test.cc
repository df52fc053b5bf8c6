#include "roomd/auth/claims.h"

#include <gtest/gtest.h>

namespace roomd::auth {
namespace {

Claims WithRooms(std::vector<std::string> rooms) {
  Claims claims;
  claims.subject = "sub-1";
  claims.rooms = std::move(rooms);
  return claims;
}

TEST(ClaimsTest, RoomsAreNamesOrPrefixes) {
  const Claims claims = WithRooms({"lobby", "team-*"});
  EXPECT_TRUE(MayEnter(claims, "lobby"));
  EXPECT_TRUE(MayEnter(claims, "team-a"));
  EXPECT_TRUE(MayEnter(claims, "team-"));
  EXPECT_FALSE(MayEnter(claims, "lobby2"));
  EXPECT_FALSE(MayEnter(claims, "team"));
  EXPECT_FALSE(MayEnter(claims, "secret"));
  EXPECT_EQ(CheckRoom(claims, "secret").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MayEnter(WithRooms({"*"}), "anything"));
  EXPECT_FALSE(MayEnter(WithRooms({}), "lobby"));
}

TEST(ClaimsTest, NoRoomsClaimAllowsEveryRoom) {
  Claims claims;
  claims.subject = "sub-1";
  EXPECT_TRUE(MayEnter(claims, "anything"));
}

TEST(ClaimsTest, RoomPatterns) {
  EXPECT_TRUE(ValidateRoomPattern("lobby").ok());
  EXPECT_TRUE(ValidateRoomPattern("team-*").ok());
  EXPECT_TRUE(ValidateRoomPattern("*").ok());
  EXPECT_FALSE(ValidateRoomPattern("a b").ok());
  EXPECT_FALSE(ValidateRoomPattern("a*b").ok());
  EXPECT_FALSE(ValidateRoomPattern("**").ok());
}

TEST(ClaimsTest, TheUserComesFromTheClaims) {
  Claims claims;
  claims.subject = "alice@example.com";  // even a sub that looks like an email
  claims.email = "Alice@Example.com";
  absl::StatusOr<chat::v1::User> user = UserFromClaims(claims);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name(), "Alice");
  EXPECT_EQ(user->id().size(), 32u);
  EXPECT_EQ(user->id().find('@'), std::string::npos);
  EXPECT_NE(user->avatar_url().find("gravatar.com/avatar/"), std::string::npos);
  EXPECT_FALSE(user->bot());

  claims.name = "Al";
  claims.bot = true;
  user = UserFromClaims(claims);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name(), "Al");
  EXPECT_TRUE(user->bot());

  Claims bare;
  bare.subject = "user-42";
  user = UserFromClaims(bare);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name(), "user-42");
}

TEST(ClaimsTest, OneSubIsOneUser) {
  Claims a;
  a.subject = "sub-1";
  a.name = "A";
  Claims b = a;
  b.name = "B";
  Claims c;
  c.subject = "sub-2";
  EXPECT_EQ(UserFromClaims(a)->id(), UserFromClaims(b)->id());
  EXPECT_NE(UserFromClaims(a)->id(), UserFromClaims(c)->id());
}

}  // namespace
}  // namespace roomd::auth
