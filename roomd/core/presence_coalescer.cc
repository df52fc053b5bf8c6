#include "roomd/core/presence_coalescer.h"

#include <algorithm>
#include <vector>

namespace roomd {

void PresenceCoalescer::Record(const UserRef& user, bool joined) {
  auto [it, inserted] = changes_.try_emplace(user->id());
  if (inserted) {
    it->second.order = next_order_++;
  }
  it->second.user = user;
  it->second.joined = joined;
}

chat::v1::Presence PresenceCoalescer::Take(const std::string& room, uint32_t online_count) {
  std::vector<Change*> changes;
  changes.reserve(changes_.size());
  for (auto& [id, change] : changes_) {
    changes.push_back(&change);
  }
  std::sort(changes.begin(), changes.end(),
            [](const Change* a, const Change* b) { return a->order < b->order; });
  chat::v1::Presence presence;
  presence.set_room(room);
  presence.set_online_count(online_count);
  if (changes.size() > max_users_) {
    presence.set_truncated(true);  // a partial list would look exact: send none
  } else {
    for (Change* change : changes) {
      *(change->joined ? presence.add_joined_users() : presence.add_left_users()) =
          *change->user;
    }
  }
  changes_.clear();
  next_order_ = 0;
  return presence;
}

}  // namespace roomd
