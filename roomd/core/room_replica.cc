// Room as this node's replica of a shared room (a RoomLink to a shared broker): joins wait
// until the replica is live and shows the joiner online, messages and presence go out
// through the link and change the replica only when they come back in the room's order.

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/core/room.h"

namespace roomd {
namespace {

// Messages one room holds while it resyncs (a few milliseconds) before refusing more.
constexpr size_t kMaxHeldPosts = 1024;

}  // namespace

void Room::AttachLink(std::unique_ptr<RoomLink> link) {
  chat::MutexLock lock(&mu_);
  link_ = std::move(link);
}

absl::Status Room::JoinSharedLocked(uint64_t conn_id, Subscriber* subscriber,
                                    UserRef user, uint64_t after_seq,
                                    const std::string& epoch, chat::v1::ServerEvent* welcome,
                                    Notifications* notes) {
  if (!link_->available()) {
    return absl::UnavailableError(kBrokerUnavailable);
  }
  last_activity_ = absl::Now();
  auto [it, inserted] = local_users_.try_emplace(user->id());
  LocalUser& local = it->second;
  if (inserted) {
    local.user = user;
    local.generation = ++next_generation_;
    if (absl::Status status = AnnounceLocked(local, conn_id); !status.ok()) {
      local_users_.erase(it);
      return status;
    }
    local.add_in_flight = true;
  }
  ++local.connections;
  auto owned = std::make_unique<Member>();
  Member* member = owned.get();
  member->conn_id = conn_id;
  member->subscriber = subscriber;
  member->user = std::move(user);
  member->cursor = kNoCursor;
  member->pending = true;
  member->after_seq = after_seq;
  member->epoch = epoch;
  members_.emplace(conn_id, std::move(owned));
  if (ReadyLocked(local)) {
    CompleteJoinLocked(member, welcome);
  } else {
    pending_joins_.push_back(conn_id);
  }
  MaybeTrimLocked(notes);
  return absl::OkStatus();
}

absl::Status Room::AnnounceLocked(const LocalUser& local, uint64_t conn_id) {
  std::weak_ptr<Room> weak = weak_from_this();
  return link_->AddPresence(
      *local.user, conn_id,
      [weak, user_id = local.user->id(), generation = local.generation](
          absl::StatusOr<uint64_t> online_from) {
        if (std::shared_ptr<Room> room = weak.lock()) {
          room->OnAnnounced(user_id, generation, std::move(online_from));
        }
      });
}

void Room::OnAnnounced(const std::string& user_id, uint64_t generation,
                       absl::StatusOr<uint64_t> online_from) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  auto it = local_users_.find(user_id);
  if (it == local_users_.end() || it->second.generation != generation) {
    return;  // that user left this node since; a newer entry has its own announcement
  }
  it->second.add_in_flight = false;
  if (!online_from.ok()) {
    FailPendingLocked(user_id, online_from.status(), &notes);
    return;
  }
  it->second.announced = true;
  it->second.online_from = *online_from;
  CompletePendingLocked(&notes);
}

absl::StatusOr<chat::v1::ChatMessage> Room::PublishLocked(const chat::v1::ChatMessage& message,
                                                          uint64_t origin_conn) {
  if (!live_) {
    if (held_posts_.size() >= kMaxHeldPosts) {
      return absl::UnavailableError(absl::StrCat(kBrokerUnavailable, " (resyncing)"));
    }
    held_posts_.push_back(HeldPost{message, origin_conn});
    return message;
  }
  if (absl::Status status = PublishNowLocked(message, origin_conn); !status.ok()) {
    return status;
  }
  return message;
}

void Room::ReleaseHeldPostsLocked(const absl::Status& why, Notifications* notes) {
  std::vector<HeldPost> held;
  held.swap(held_posts_);
  for (const HeldPost& post : held) {
    absl::Status status = why.ok() ? PublishNowLocked(post.message, post.origin_conn) : why;
    if (status.ok()) {
      continue;
    }
    if (auto it = members_.find(post.origin_conn); it != members_.end()) {
      notes->SendFailed(it->second->subscriber, status, post.message.client_id());
    }
  }
}

absl::Status Room::PublishNowLocked(const chat::v1::ChatMessage& message, uint64_t origin_conn) {
  std::weak_ptr<Room> weak = weak_from_this();
  return link_->PublishMessage(
      message, origin_conn,
      [weak, origin_conn, client_id = message.client_id()](absl::StatusOr<PostResult> result) {
        if (result.ok() && !result->duplicate) {
          return;  // the message comes back through the event stream
        }
        std::shared_ptr<Room> room = weak.lock();
        if (room == nullptr) {
          return;
        }
        if (!result.ok()) {
          room->OnPublishFailed(origin_conn, client_id, result.status());
        } else {
          room->OnPublishDuplicate(origin_conn, result->message);
        }
      });
}

void Room::OnPublishDuplicate(uint64_t origin_conn, const chat::v1::ChatMessage& original) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  auto it = members_.find(origin_conn);
  if (it != members_.end() && !it->second->pending) {
    notes.SendDuplicate(it->second->subscriber, original);
  }
}

void Room::OnPublishFailed(uint64_t origin_conn, const std::string& client_id,
                           const absl::Status& why) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  auto it = members_.find(origin_conn);
  if (it != members_.end() && !it->second->pending) {
    notes.SendFailed(it->second->subscriber, why, client_id);
  }
}

void Room::ReleaseLocalUserLocked(const Member& member) {
  if (member.pending) {
    pending_joins_.erase(
        std::remove(pending_joins_.begin(), pending_joins_.end(), member.conn_id),
        pending_joins_.end());
  }
  auto local = local_users_.find(member.user->id());
  if (local != local_users_.end() && --local->second.connections == 0) {
    link_->RemovePresence(*local->second.user, member.conn_id);
    local_users_.erase(local);
  }
}

bool Room::ReadyLocked(const LocalUser& local) const {
  return live_ && local.announced && applied_order_ >= local.online_from;
}

void Room::CompleteJoinLocked(Member* member, chat::v1::ServerEvent* welcome) {
  member->pending = false;
  member->cursor = TailLocked();
  FillWelcomeLocked(*member->user, member->after_seq, member->epoch, welcome);
}

void Room::CompletePendingLocked(Notifications* notes) {
  if (!live_ || pending_joins_.empty()) {
    return;
  }
  size_t kept = 0;
  for (uint64_t conn_id : pending_joins_) {
    Member* member = members_.at(conn_id).get();
    auto local = local_users_.find(member->user->id());
    if (local == local_users_.end() || !ReadyLocked(local->second)) {
      pending_joins_[kept++] = conn_id;
      continue;
    }
    chat::v1::ServerEvent welcome;
    CompleteJoinLocked(member, &welcome);
    notes->Joined(member->subscriber, std::move(welcome));
  }
  pending_joins_.resize(kept);
}

void Room::FailPendingLocked(const std::string& user_id, const absl::Status& why,
                             Notifications* notes) {
  std::vector<uint64_t> failed;
  for (uint64_t conn_id : pending_joins_) {
    if (user_id.empty() || members_.at(conn_id)->user->id() == user_id) {
      failed.push_back(conn_id);
    }
  }
  for (uint64_t conn_id : failed) {
    notes->Joined(members_.at(conn_id)->subscriber, why);
    RemoveMemberLocked(conn_id, notes);
  }
}

bool Room::HasLiveMembersLocked() const {
  return std::any_of(members_.begin(), members_.end(),
                     [](const auto& entry) { return !entry.second->pending; });
}

void Room::ApplySnapshot(const RoomSnapshot& snapshot) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  // Members already reading the room get what they missed while the replica was not live.
  const bool tell_members = HasLiveMembersLocked();
  if (tell_members) {
    for (const chat::v1::ChatMessage& message : snapshot.history) {
      if (message.seq() > last_seq_) {
        chat::v1::ServerEvent event;
        *event.mutable_message() = message;
        AppendLocked(event, /*origin=*/0, /*skip_origin=*/false, &notes);
      }
    }
  }
  MergeHistoryLocked(snapshot.history);
  last_seq_ = std::max(last_seq_, snapshot.last_seq);
  if (!snapshot.epoch.empty()) {
    if (snapshot.epoch != epoch_) {
      sent_->Clear();  // another numbering: the seqs this node remembered mean nothing now
    }
    epoch_ = snapshot.epoch;
  }
  for (const chat::v1::ChatMessage& message : snapshot.history) {
    RecordSentLocked(message);
  }

  absl::flat_hash_set<std::string> now_online;
  for (const chat::v1::User& user : snapshot.online) {
    now_online.insert(user.id());
  }
  std::vector<std::string> gone;
  for (const auto& [id, entry] : online_) {
    if (!now_online.contains(id)) {
      gone.emplace_back(id);
    }
  }
  for (const std::string& id : gone) {
    auto it = online_.find(id);
    const UserRef user = std::move(it->second.user);
    online_.erase(it);
    UnindexOnlineLocked(*user);
    if (tell_members) {
      PresenceChangedLocked(user, /*joined=*/false, grpc::Slice(), /*origin=*/0, &notes);
    }
  }
  for (const chat::v1::User& user : snapshot.online) {
    if (online_.contains(user.id())) {
      continue;
    }
    UserRef shared = MakeUserRef(user);
    OnlineUser& online = online_[shared->id()];  // the key views the entry's own User
    online.user = std::move(shared);
    online.order = next_online_order_++;
    IndexOnlineLocked(online.user);
    if (tell_members) {
      PresenceChangedLocked(online.user, /*joined=*/true, grpc::Slice(), /*origin=*/0, &notes);
    }
  }
  // The snapshot's event order is the new baseline; users it shows online are confirmed.
  applied_order_ = snapshot.event_order;
  live_ = true;
  // Not a user whose own announcement is still on its way: the snapshot may show them online
  // only through another node, which can leave before this node's announcement lands.
  for (auto& [id, local] : local_users_) {
    if (now_online.contains(id) && !local.add_in_flight) {
      local.announced = true;
      local.online_from = 0;
    }
  }
  ReleaseHeldPostsLocked(absl::OkStatus(), &notes);
  CompletePendingLocked(&notes);
  MaybeTrimLocked(&notes);
}

void Room::MergeHistoryLocked(const std::vector<chat::v1::ChatMessage>& messages) {
  std::deque<chat::v1::ChatMessage> merged;
  auto mine = history_.begin();
  auto theirs = messages.begin();
  while (mine != history_.end() || theirs != messages.end()) {
    if (theirs == messages.end() || (mine != history_.end() && mine->seq() < theirs->seq())) {
      merged.push_back(std::move(*mine++));
    } else {
      if (mine != history_.end() && mine->seq() == theirs->seq()) {
        ++mine;  // the broker's copy wins
      }
      merged.push_back(*theirs++);
    }
  }
  while (merged.size() > history_size_) {
    merged.pop_front();
  }
  history_ = std::move(merged);
}

void Room::ApplyEvent(uint64_t event_order, const chat::v1::ServerEvent& event,
                      const grpc::Slice& bytes, uint64_t origin_conn) {
  ApplyEvents({SharedEvent{event_order, event, bytes, origin_conn}});
}

void Room::ApplyEvents(const std::vector<SharedEvent>& events) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (!live_) {
    return;  // the broker applies events only on top of a snapshot
  }
  for (const SharedEvent& shared : events) {
    ApplyEventLocked(shared, &notes);
  }
  CompletePendingLocked(&notes);
  MaybeTrimLocked(&notes);
}

void Room::ApplyEventLocked(const SharedEvent& shared, Notifications* notes) {
  const chat::v1::ServerEvent& event = shared.event;
  switch (event.event_case()) {
    case chat::v1::ServerEvent::kMessage:
      if (event.message().seq() > last_seq_) {
        last_seq_ = event.message().seq();
        PushHistoryLocked(event.message());
        RecordSentLocked(event.message());
        AppendBytesLocked(shared.bytes, shared.origin_conn, /*skip_origin=*/false, notes);
      }
      break;
    case chat::v1::ServerEvent::kPresence: {
      // The replica keeps the promise a single room makes: a joined only for someone not
      // online, a left only for someone online.
      const chat::v1::Presence& presence = event.presence();
      if (presence.has_joined()) {
        if (!online_.contains(presence.joined().id())) {
          UserRef user = MakeUserRef(presence.joined());
          OnlineUser& online = online_[user->id()];  // the key views the entry's own User
          online.user = std::move(user);
          online.order = next_online_order_++;
          IndexOnlineLocked(online.user);
          PresenceChangedLocked(online.user, /*joined=*/true, shared.bytes,
                                shared.origin_conn, notes);
        }
      } else if (presence.has_left()) {
        if (auto it = online_.find(presence.left().id()); it != online_.end()) {
          const UserRef user = std::move(it->second.user);
          online_.erase(it);
          UnindexOnlineLocked(*user);
          PresenceChangedLocked(user, /*joined=*/false, shared.bytes, shared.origin_conn,
                                notes);
        }
      }
      break;
    }
    case chat::v1::ServerEvent::kTyping:
      AppendBytesLocked(shared.bytes, shared.origin_conn, /*skip_origin=*/true, notes);
      break;
    default:
      break;
  }
  applied_order_ = std::max(applied_order_, shared.order);
}

void Room::OnLinkDown() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  live_ = false;
  // Event orders restart with a new connection (Redis may have restarted): the next
  // snapshot confirms who is online.
  for (auto& [id, local] : local_users_) {
    local.online_from = 0;
  }
  FailPendingLocked("", absl::UnavailableError(kBrokerUnavailable), &notes);
  ReleaseHeldPostsLocked(absl::UnavailableError(kBrokerUnavailable), &notes);
}

std::vector<chat::v1::User> Room::LocalUsers() const {
  chat::MutexLock lock(&mu_);
  std::vector<chat::v1::User> users;
  users.reserve(local_users_.size());
  for (const auto& [id, local] : local_users_) {
    users.push_back(*local.user);
  }
  return users;
}

uint64_t Room::last_seq() const {
  chat::MutexLock lock(&mu_);
  return last_seq_;
}

std::optional<chat::v1::ChatMessage> Room::FindSent(const chat::v1::ChatMessage& resent) const {
  chat::MutexLock lock(&mu_);
  return FindSentSharedLocked(resent);
}

std::string Room::epoch() const {
  chat::MutexLock lock(&mu_);
  return epoch_;
}

}  // namespace roomd
