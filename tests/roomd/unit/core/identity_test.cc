#include "roomd/core/identity.h"

#include <gtest/gtest.h>

namespace roomd {
namespace {

TEST(IdentityTest, NameIsThePartBeforeTheAt) {
  absl::StatusOr<chat::v1::User> user = MakeUser("alice@example.com", "");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name(), "alice");
}

TEST(IdentityTest, IdAndAvatarAreTheGravatarHashOfTheNormalizedEmail) {
  // The Gravatar documentation's example address, trimmed and lower-cased before hashing.
  absl::StatusOr<chat::v1::User> user = MakeUser("  MyEmailAddress@example.com \t", "");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->id(), "0bc83cb571cd1c50ba6f3e8a78ef1346");
  EXPECT_EQ(user->avatar_url(),
            "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?d=identicon");
  EXPECT_EQ(user->name(), "MyEmailAddress");  // the name keeps the case the user typed
}

TEST(IdentityTest, SameEmailAnyCaseIsTheSameId) {
  absl::StatusOr<chat::v1::User> a = MakeUser("Bob@Example.COM", "");
  absl::StatusOr<chat::v1::User> b = MakeUser("bob@example.com", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id(), b->id());
  EXPECT_EQ(a->id(), "4b9bb80620f03eb3719e0a061c14283d");
}

TEST(IdentityTest, TheEmailIsNowhereInTheUser) {
  absl::StatusOr<chat::v1::User> user = MakeUser("carol@example.org", "");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->DebugString().find("example.org"), std::string::npos);
}

TEST(IdentityTest, NameOverrideIsTrimmedAndValidated) {
  absl::StatusOr<chat::v1::User> user = MakeUser("dave@example.com", "  Dave Ø  ");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name(), "Dave Ø");
  // Blank means "not given".
  user = MakeUser("dave@example.com", "   ");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name(), "dave");
  EXPECT_EQ(MakeUser("dave@example.com", std::string(65, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MakeUser("dave@example.com", std::string(64, 'x')).ok());
  EXPECT_EQ(MakeUser("dave@example.com", "bad\x01name").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeUser("dave@example.com", "bad\xC3(").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IdentityTest, RejectsMalformedEmails) {
  for (const char* email : {"", "   ", "no-at-sign", "two@@example.com", "a@b@c", "@example.com",
                            "alice@", "al ice@example.com", "alice@exa\tmple.com",
                            "alice@.example.com", "alice@example..com", "alice@example.com.",
                            "ali\x7f" "ce@example.com"}) {
    EXPECT_EQ(MakeUser(email, "").status().code(), absl::StatusCode::kInvalidArgument)
        << "email: " << email;
  }
  EXPECT_FALSE(ValidateEmail(std::string(65, 'a') + "@example.com").ok());
  EXPECT_FALSE(ValidateEmail("a@" + std::string(260, 'b')).ok());
  EXPECT_FALSE(ValidateEmail("a\xff@example.com").ok());
  EXPECT_TRUE(ValidateEmail("first.last+tag@sub.example.co.uk").ok());
  EXPECT_TRUE(ValidateEmail("jürgen@example.de").ok());
}

TEST(IdentityTest, ErrorsSayWhatIsWrong) {
  EXPECT_NE(MakeUser("no-at-sign", "").status().message().find("@"), absl::string_view::npos);
  EXPECT_NE(MakeUser("", "").status().message().find("required"), absl::string_view::npos);
}

}  // namespace
}  // namespace roomd
