#include "roomd/core/sent_ledger.h"

namespace roomd {

std::optional<SentLedger::Entry> MemorySentLedger::Find(const std::string& user_id,
                                                        const std::string& client_id) const {
  auto user = users_.find(user_id);
  if (user == users_.end()) {
    return std::nullopt;
  }
  auto sent = user->second.by_client_id.find(client_id);
  if (sent == user->second.by_client_id.end()) {
    return std::nullopt;
  }
  return sent->second;
}

void MemorySentLedger::Record(const std::string& user_id, const std::string& client_id,
                              const Entry& entry) {
  UserSends& user = users_[user_id];
  if (!user.by_client_id.emplace(client_id, entry).second) {
    return;  // already remembered (callers look it up first)
  }
  user.order.emplace_back(client_id, entry.sent_at);
  // Forget the oldest while there are more than keep_sends_ and it is older than
  // keep_for_, or more than max_sends_ in all.
  const absl::Time horizon = entry.sent_at - keep_for_;
  while (user.order.size() > max_sends_ ||
         (user.order.size() > keep_sends_ && user.order.front().second < horizon)) {
    user.by_client_id.erase(user.order.front().first);
    user.order.pop_front();
  }
}

size_t MemorySentLedger::SizeForTest(const std::string& user_id) const {
  auto user = users_.find(user_id);
  return user == users_.end() ? 0 : user->second.order.size();
}

}  // namespace roomd
