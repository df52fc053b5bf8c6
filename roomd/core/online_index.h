#pragma once

// The users online in a room sorted by name (then id), for the paged online list of big
// rooms: a page costs O(log N + page), not a sort of the whole room. A page token names the
// last user of the previous page, so a page stays correct while others join and leave.
// Not thread-safe: the room's lock guards it.

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"
#include "roomd/core/user_ref.h"

namespace roomd {

struct OnlinePage {
  std::vector<chat::v1::User> users;
  std::string next_page_token;  // empty: no more users after these
};

class OnlineIndex {
 public:
  // Shares `user`; re-adding a user replaces the entry.
  void Add(const UserRef& user);
  // `user` as it was added (its name is part of the key).
  void Remove(const chat::v1::User& user);
  size_t size() const { return users_.size(); }

  // At most `page_size` (>= 1) users after `page_token` (empty: from the first).
  // INVALID_ARGUMENT for a token that is not one of ours.
  absl::StatusOr<OnlinePage> Page(absl::string_view page_token, size_t page_size) const;

 private:
  // name, id: views into the entry's own User, which the entry keeps alive.
  using Key = std::pair<absl::string_view, absl::string_view>;
  std::map<Key, UserRef> users_;
};

// The same page from a plain list (GetPresence through a broker that answers with one).
absl::StatusOr<OnlinePage> PageOfUsers(const std::vector<chat::v1::User>& users,
                                       absl::string_view page_token, size_t page_size);

}  // namespace roomd
