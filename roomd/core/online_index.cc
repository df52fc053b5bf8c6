#include "roomd/core/online_index.h"

#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace roomd {
namespace {

// "<id>:<name>": ids are hex, so the first ':' ends the id; a name may hold anything.
std::string TokenOf(const chat::v1::User& user) { return absl::StrCat(user.id(), ":", user.name()); }

// (name, id), viewing `token`.
absl::StatusOr<std::pair<absl::string_view, absl::string_view>> ParseToken(
    absl::string_view token) {
  const size_t colon = token.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("page_token is not a token this server gave");
  }
  return std::make_pair(token.substr(colon + 1), token.substr(0, colon));
}

template <typename It>
OnlinePage Collect(It first, It last, size_t page_size) {
  OnlinePage page;
  for (; first != last && page.users.size() < page_size; ++first) {
    page.users.push_back(*first->second);
  }
  if (first != last && !page.users.empty()) {
    page.next_page_token = TokenOf(page.users.back());
  }
  return page;
}

}  // namespace

void OnlineIndex::Add(const UserRef& user) {
  // Not insert_or_assign: the old key views the old User, which the assignment would free.
  users_.erase(Key(user->name(), user->id()));
  users_.emplace(Key(user->name(), user->id()), user);
}

void OnlineIndex::Remove(const chat::v1::User& user) { users_.erase(Key(user.name(), user.id())); }

absl::StatusOr<OnlinePage> OnlineIndex::Page(absl::string_view page_token,
                                             size_t page_size) const {
  auto first = users_.begin();
  if (!page_token.empty()) {
    absl::StatusOr<Key> after = ParseToken(page_token);
    if (!after.ok()) {
      return after.status();
    }
    first = users_.upper_bound(*after);
  }
  return Collect(first, users_.end(), page_size);
}

absl::StatusOr<OnlinePage> PageOfUsers(const std::vector<chat::v1::User>& users,
                                       absl::string_view page_token, size_t page_size) {
  OnlineIndex index;
  for (const chat::v1::User& user : users) {
    index.Add(MakeUserRef(user));
  }
  return index.Page(page_token, page_size);
}

}  // namespace roomd
