#include "roomd/core/online_index.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "roomd/core/identity.h"

namespace roomd {
namespace {

UserRef UserNamed(const std::string& name) {
  return MakeUserRef(*MakeUser(name + "@example.com", ""));
}

std::vector<std::string> Names(const OnlinePage& page) {
  std::vector<std::string> names;
  for (const chat::v1::User& user : page.users) {
    names.push_back(user.name());
  }
  return names;
}

TEST(OnlineIndexTest, PagesAreSortedByNameAndChainByToken) {
  OnlineIndex index;
  for (const char* name : {"eve", "bob", "dan", "ann", "cat"}) {
    index.Add(UserNamed(name));
  }
  EXPECT_EQ(index.size(), 5u);
  absl::StatusOr<OnlinePage> first = index.Page("", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Names(*first), (std::vector<std::string>{"ann", "bob"}));
  ASSERT_FALSE(first->next_page_token.empty());
  absl::StatusOr<OnlinePage> second = index.Page(first->next_page_token, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Names(*second), (std::vector<std::string>{"cat", "dan"}));
  absl::StatusOr<OnlinePage> last = index.Page(second->next_page_token, 2);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Names(*last), (std::vector<std::string>{"eve"}));
  EXPECT_TRUE(last->next_page_token.empty());
}

TEST(OnlineIndexTest, ATokenStaysValidWhenItsUserLeaves) {
  OnlineIndex index;
  for (const char* name : {"ann", "bob", "cat", "dan"}) {
    index.Add(UserNamed(name));
  }
  absl::StatusOr<OnlinePage> first = index.Page("", 2);
  ASSERT_TRUE(first.ok());
  index.Remove(*UserNamed("bob"));  // the token's user
  index.Add(UserNamed("bea"));     // sorts before the token: belongs to the first page now
  index.Add(UserNamed("cal"));
  absl::StatusOr<OnlinePage> second = index.Page(first->next_page_token, 10);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Names(*second), (std::vector<std::string>{"cal", "cat", "dan"}));
}

TEST(OnlineIndexTest, AForeignTokenIsInvalidArgument) {
  OnlineIndex index;
  index.Add(UserNamed("ann"));
  EXPECT_TRUE(absl::IsInvalidArgument(index.Page("nonsense", 5).status()));
}

TEST(OnlineIndexTest, APlainListPagesTheSameWay) {
  std::vector<chat::v1::User> users = {*UserNamed("cat"), *UserNamed("ann"), *UserNamed("bob")};
  absl::StatusOr<OnlinePage> first = PageOfUsers(users, "", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Names(*first), (std::vector<std::string>{"ann", "bob"}));
  absl::StatusOr<OnlinePage> rest = PageOfUsers(users, first->next_page_token, 2);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Names(*rest), (std::vector<std::string>{"cat"}));
}

// The index's keys view its own copy of each User: it must keep them alive on its own.
TEST(OnlineIndexTest, KeepsItsUsersAliveAfterTheCallerDropsThem) {
  OnlineIndex index;
  for (const char* name : {"cat", "ann", "bob"}) {
    index.Add(UserNamed(name));  // the only other reference dies here
  }
  absl::StatusOr<OnlinePage> page = index.Page("", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Names(*page), (std::vector<std::string>{"ann", "bob", "cat"}));
}

TEST(OnlineIndexTest, AddingAUserAgainReplacesItsEntry) {
  OnlineIndex index;
  UserRef first = UserNamed("ann");
  std::weak_ptr<const chat::v1::User> watch = first;
  index.Add(first);
  first.reset();
  index.Add(UserNamed("ann"));  // an equal User, another object: the first one is let go
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(index.size(), 1u);
  absl::StatusOr<OnlinePage> page = index.Page("", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Names(*page), (std::vector<std::string>{"ann"}));
  index.Remove(*UserNamed("ann"));
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace roomd
