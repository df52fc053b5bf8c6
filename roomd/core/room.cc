#include "roomd/core/room.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "roomd/core/epoch.h"
#include "roomd/core/event_codec.h"
#include "roomd/core/roomd_metrics.h"

namespace roomd {
namespace {

constexpr uint64_t kMinTrimSlack = 4 << 10;
constexpr uint64_t kMaxTrimSlack = 64 << 10;
constexpr uint64_t kTrimSlackPerMember = 64;

absl::Status SlowConsumerStatus() { return absl::ResourceExhaustedError("slow consumer"); }

// A collect that found events: how long the oldest of them waited in the log.
void ObserveFanoutLatency(int64_t oldest_appended_ns) {
  RoomdMetrics::Get().fanout_latency->Observe(
      static_cast<double>(absl::GetCurrentTimeNanos() - oldest_appended_ns) * 1e-9);
}

}  // namespace

Room::Room(std::string name, const ServerOptions& options, Timer* timer, MessageStore* store)
    : name_(std::move(name)),
      history_size_(options.history_size),
      max_connections_(options.max_connections_per_room),
      max_connections_per_user_(options.max_connections_per_user),
      max_outbound_bytes_(options.max_outbound_bytes),
      trim_slack_(std::clamp<uint64_t>(options.max_outbound_bytes / 8, kMinTrimSlack,
                                       kMaxTrimSlack)),
      typing_timeout_(options.typing_timeout),
      coalesce_above_(options.presence_coalesce_above),
      presence_interval_(options.presence_interval),
      page_size_(std::max<size_t>(options.presence_page_size, 1)),
      max_page_size_(std::max(options.presence_max_page_size, page_size_)),
      timer_(timer),
      store_(store),
      last_activity_(absl::Now()),
      coalescer_(options.presence_max_users),
      trim_at_bytes_(kMinTrimSlack),
      epoch_(NewEpoch()),
      sent_(std::make_unique<MemorySentLedger>(options.sent_ledger)) {}

void Room::LoadStored(const StoredRoom& stored) {
  chat::MutexLock lock(&mu_);
  last_seq_ = stored.last_seq;
  assigned_seq_ = stored.last_seq;
  loaded_seq_ = stored.last_seq;
  if (!stored.epoch.empty()) {
    epoch_ = stored.epoch;  // the numbering goes on, so its name stays
  }
  for (const chat::v1::ChatMessage& message : stored.recent) {
    PushHistoryLocked(message);
  }
}

size_t Room::UserConnectionsLocked(const std::string& user_id) const {
  // A shared room knows only this node's connections (other nodes enforce their own).
  if (link_ != nullptr) {
    auto local = local_users_.find(user_id);
    return local == local_users_.end() ? 0 : local->second.connections;
  }
  auto online = online_.find(user_id);
  return online == online_.end() ? 0 : online->second.connections;
}

absl::Status Room::Join(uint64_t conn_id, Subscriber* subscriber, UserRef user,
                        uint64_t after_seq, chat::v1::ServerEvent* welcome,
                        Notifications* notes, const std::string& epoch, FeedKey feed,
                        bool* fed) {
  if (fed != nullptr) {
    *fed = false;
  }
  chat::MutexLock lock(&mu_);
  if (closed_) {
    return absl::AbortedError("room was closed");
  }
  if (members_.size() >= max_connections_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("room \"", name_, "\" is full (", max_connections_, " connections)"));
  }
  if (members_.contains(conn_id)) {
    return absl::FailedPreconditionError("connection already joined");
  }
  if (max_connections_per_user_ != 0 &&
      UserConnectionsLocked(user->id()) >= max_connections_per_user_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this user already has ", max_connections_per_user_,
                     " connections in room \"", name_, "\"",
                     link_ != nullptr ? " on this node" : "", "; close one first"));
  }
  if (link_ != nullptr) {
    return JoinSharedLocked(conn_id, subscriber, std::move(user), after_seq, epoch, welcome,
                            notes);
  }
  last_activity_ = absl::Now();
  OnlineUser& online = online_[user->id()];  // new: the key views `user`, stored below
  if (online.connections++ == 0) {
    online.user = user;
    online.order = next_online_order_++;
    IndexOnlineLocked(user);
    PresenceChangedLocked(user, /*joined=*/true, grpc::Slice(), conn_id, notes);
  }
  auto member = std::make_unique<Member>();
  member->conn_id = conn_id;
  member->subscriber = subscriber;
  member->user = std::move(user);
  member->cursor = TailLocked();
  Member* joined = members_.emplace(conn_id, std::move(member)).first->second.get();
  if (feed.reader == nullptr) {
    FillWelcomeLocked(*joined->user, after_seq, epoch, welcome);
    MaybeTrimLocked(notes);
    return absl::OkStatus();
  }
  std::unique_ptr<Member>& slot = feeds_[feed.reader];
  if (slot == nullptr) {
    slot = std::make_unique<Member>();
    slot->reader = feed.reader;
    slot->subscriber = feed.reader;
    slot->cursor = TailLocked();
    AddWaitingLocked(slot.get());  // the Welcome below wakes it
  }
  joined->feed = slot.get();
  ++fed_members_;
  joined->fed_pos = slot->fed.size();
  joined->feed_session = feed.session;
  slot->fed.push_back(joined);
  // The Welcome is the feed's next entry for this member, and everything after it is too.
  chat::v1::ServerEvent own_welcome;
  FillWelcomeLocked(*joined->user, after_seq, epoch, &own_welcome);
  AppendBytesLocked(SerializeToSlice(own_welcome), conn_id, /*skip_origin=*/false, notes,
                    /*addressed=*/true, /*counted=*/false);
  joined->fed_from = TailLocked();
  slot->max_fed_from = std::max(slot->max_fed_from, joined->fed_from);
  if (fed != nullptr) {
    *fed = true;
  }
  MaybeTrimLocked(notes);
  return absl::OkStatus();
}

void Room::FillWelcomeLocked(const chat::v1::User& user, uint64_t after_seq,
                             const std::string& epoch, chat::v1::ServerEvent* welcome) const {
  chat::v1::Welcome* w = welcome->mutable_welcome();
  *w->mutable_self() = user;
  w->set_room(name_);
  w->set_online_count(static_cast<uint32_t>(online_.size()));
  if (BigLocked()) {
    // Everyone would make each Welcome O(N), a join storm O(N^2): the first page only.
    absl::StatusOr<OnlinePage> page = by_name_.Page("", page_size_);
    for (chat::v1::User& entry : page->users) {
      *w->add_online() = std::move(entry);
    }
    w->set_online_next_page_token(page->next_page_token);
  } else {
    for (const OnlineUser* entry : SortedOnlineLocked()) {
      *w->add_online() = *entry->user;
    }
  }
  // A client whose seqs are from another numbering gets the whole ring, and is told so when
  // it said which numbering it knew (a client that did not gets the ring if its seq is
  // beyond the room's).
  const bool reset = !epoch.empty() && epoch != epoch_;
  w->set_epoch(epoch_);
  w->set_history_reset(reset);
  const uint64_t from = reset || after_seq > last_seq_ ? 0 : after_seq;
  for (const chat::v1::ChatMessage& message : history_) {
    if (message.seq() > from) {
      *w->add_history() = message;
    }
  }
  w->set_last_seq(last_seq_);
}

std::vector<const Room::OnlineUser*> Room::SortedOnlineLocked() const {
  std::vector<const OnlineUser*> users;
  users.reserve(online_.size());
  for (const auto& [id, entry] : online_) {
    users.push_back(&entry);
  }
  std::sort(users.begin(), users.end(),
            [](const OnlineUser* a, const OnlineUser* b) { return a->order < b->order; });
  return users;
}

void Room::Leave(uint64_t conn_id, Notifications* notes) {
  chat::MutexLock lock(&mu_);
  if (members_.contains(conn_id)) {
    last_activity_ = absl::Now();
    RemoveMemberLocked(conn_id, notes);
  }
}

absl::StatusOr<chat::v1::ChatMessage> Room::Post(const chat::v1::User& from,
                                                 const std::string& text,
                                                 const std::string& client_id,
                                                 uint64_t origin_conn, Notifications* notes,
                                                 bool* duplicate, CommitCallback committed) {
  chat::v1::ChatMessage message;
  message.set_room(name_);
  *message.mutable_from() = from;
  message.set_text(text);
  message.set_client_id(client_id);
  const absl::Time now = absl::Now();
  *message.mutable_sent_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));

  chat::MutexLock lock(&mu_);
  if (closed_) {
    return absl::AbortedError("room was closed");
  }
  if (link_ != nullptr && !link_->available()) {
    return absl::UnavailableError(kBrokerUnavailable);
  }
  last_activity_ = now;
  if (auto it = members_.find(origin_conn); it != members_.end() && it->second->typing) {
    // Sending ends typing; say so before the message so no client shows a stale notice.
    it->second->typing = false;
    SendTypingLocked(*it->second, /*active=*/false, notes);
  }
  RoomdMetrics::Get().messages->Inc();
  if (link_ != nullptr) {
    // This node's ledger first: it still knows the sends a Redis that lost its data forgot.
    if (std::optional<chat::v1::ChatMessage> original = FindSentSharedLocked(message)) {
      if (duplicate != nullptr) {
        *duplicate = true;
      }
      return *std::move(original);
    }
    return PublishLocked(message, origin_conn);
  }
  if (!client_id.empty()) {
    absl::StatusOr<std::optional<chat::v1::ChatMessage>> original = FindSentLocked(message);
    if (!original.ok()) {
      return original.status();  // UNAVAILABLE: posting could make a duplicate
    }
    if (original->has_value()) {
      if (duplicate != nullptr) {
        *duplicate = true;
      }
      return **std::move(original);
    }
  }
  SequenceLocked(&message);
  if (store_ != nullptr) {
    // Appended under the room lock: the store commits (and answers) in seq order.
    absl::Status queued = store_->Append(
        message, [self = shared_from_this(), message, origin_conn,
                  committed = std::move(committed)](absl::Status status) {
          self->OnCommitted(message, origin_conn, status, committed);
        });
    if (!queued.ok()) {
      --assigned_seq_;  // nothing after it was sequenced: we hold the lock
      return queued;
    }
    ++uncommitted_;
    message.set_seq(0);
    return message;
  }
  DeliverSequencedLocked(message, origin_conn, notes);
  MaybeTrimLocked(notes);
  if (!client_id.empty()) {
    sent_->Record(from.id(), client_id, SentLedger::Entry{message.seq(), now});
  }
  return message;
}

chat::v1::ChatMessage Room::OriginalLocked(const SentLedger::Entry& sent,
                                           const chat::v1::ChatMessage& resent) const {
  if (!history_.empty() && sent.seq >= history_.front().seq() &&
      sent.seq <= history_.back().seq()) {
    // History holds consecutive seqs.
    const chat::v1::ChatMessage& original = history_[sent.seq - history_.front().seq()];
    if (original.seq() == sent.seq) {
      return original;
    }
  }
  chat::v1::ChatMessage original = resent;
  original.set_seq(sent.seq);
  *original.mutable_sent_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(sent.sent_at));
  return original;
}

absl::StatusOr<std::optional<chat::v1::ChatMessage>> Room::FindSentLocked(
    const chat::v1::ChatMessage& resent) {
  const std::string& user_id = resent.from().id();
  if (std::optional<SentLedger::Entry> sent = sent_->Find(user_id, resent.client_id())) {
    return OriginalLocked(*sent, resent);
  }
  if (store_ == nullptr || loaded_seq_ == 0) {
    return std::nullopt;  // every send of this room went through the ledger
  }
  // An indexed read under the room lock, for each send the ledger does not know in a room
  // that had messages before it was loaded: the price of never posting a resend twice.
  absl::StatusOr<std::optional<chat::v1::ChatMessage>> stored =
      store_->FindByClientId(name_, user_id, resent.client_id());
  if (stored.ok() && stored->has_value()) {
    RecordSentLocked(**stored);
  }
  return stored;
}

std::optional<chat::v1::ChatMessage> Room::FindSentSharedLocked(
    const chat::v1::ChatMessage& resent) const {
  if (resent.client_id().empty()) {
    return std::nullopt;
  }
  std::optional<SentLedger::Entry> sent = sent_->Find(resent.from().id(), resent.client_id());
  if (!sent.has_value()) {
    return std::nullopt;
  }
  return OriginalLocked(*sent, resent);
}

void Room::RecordSentLocked(const chat::v1::ChatMessage& message) {
  if (message.client_id().empty()) {
    return;
  }
  sent_->Record(message.from().id(), message.client_id(),
                SentLedger::Entry{message.seq(),
                                  absl::FromUnixNanos(
                                      google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                                          message.sent_at()))});
}

void Room::OnCommitted(const chat::v1::ChatMessage& message, uint64_t origin_conn,
                       const absl::Status& status, const CommitCallback& committed) {
  {
    Notifications notes;
    chat::MutexLock lock(&mu_);
    --uncommitted_;
    if (status.ok()) {
      DeliverSequencedLocked(message, origin_conn, &notes);
      MaybeTrimLocked(&notes);
      if (!message.client_id().empty()) {
        // Recorded once kept: a failed commit gives its seq back to the next message.
        sent_->Record(message.from().id(), message.client_id(),
                      SentLedger::Entry{message.seq(), absl::Now()});
      }
    } else {
      // The store fails this message and every later one it holds: the seqs come back.
      assigned_seq_ = std::min(assigned_seq_, message.seq() - 1);
      if (auto it = members_.find(origin_conn); it != members_.end()) {
        notes.SendFailed(it->second->subscriber, status, message.client_id());
      }
    }
  }
  if (committed) {
    committed(status.ok() ? absl::StatusOr<chat::v1::ChatMessage>(message)
                          : absl::StatusOr<chat::v1::ChatMessage>(status));
  }
}

void Room::SequenceLocked(chat::v1::ChatMessage* message) {
  message->set_seq(++assigned_seq_);
}

void Room::DeliverSequencedLocked(const chat::v1::ChatMessage& message, uint64_t origin,
                                  Notifications* notes) {
  chat::v1::ServerEvent event;
  *event.mutable_message() = message;
  AppendLocked(event, origin, /*skip_origin=*/false, notes);
  PushHistoryLocked(message);
  last_seq_ = std::max(last_seq_, message.seq());
}

void Room::PushHistoryLocked(const chat::v1::ChatMessage& message) {
  history_.push_back(message);
  while (history_.size() > history_size_) {
    history_.pop_front();
  }
}

void Room::SetTyping(uint64_t conn_id, bool active, Notifications* notes) {
  chat::MutexLock lock(&mu_);
  auto it = members_.find(conn_id);
  if (it == members_.end()) {
    return;
  }
  Member* member = it->second.get();
  if (!active) {
    if (member->typing) {
      member->typing = false;
      SendTypingLocked(*member, /*active=*/false, notes);
    }
    return;
  }
  member->typing_deadline = absl::Now() + typing_timeout_;
  if (!member->typing) {
    member->typing = true;
    SendTypingLocked(*member, /*active=*/true, notes);
  }
  if (!member->typing_timer_pending) {
    ScheduleTypingExpiryLocked(member);
  }
  MaybeTrimLocked(notes);
}

void Room::SendTypingLocked(const Member& member, bool active, Notifications* notes) {
  chat::v1::ServerEvent event;
  chat::v1::TypingNotice* notice = event.mutable_typing();
  notice->set_room(name_);
  *notice->mutable_user() = *member.user;
  notice->set_active(active);
  if (link_ != nullptr) {
    link_->PublishTyping(event, member.conn_id);  // comes back through the shared room
    return;
  }
  AppendLocked(event, member.conn_id, /*skip_origin=*/true, notes);
}

void Room::ScheduleTypingExpiryLocked(Member* member) {
  member->typing_timer_pending = true;
  std::weak_ptr<Room> weak = weak_from_this();
  const uint64_t conn_id = member->conn_id;
  timer_->Schedule(member->typing_deadline, [weak, conn_id] {
    if (std::shared_ptr<Room> room = weak.lock()) {
      room->ExpireTyping(conn_id);
    }
  });
}

void Room::ExpireTyping(uint64_t conn_id) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  auto it = members_.find(conn_id);
  if (it == members_.end()) {
    return;
  }
  Member* member = it->second.get();
  member->typing_timer_pending = false;
  if (!member->typing) {
    return;
  }
  if (absl::Now() < member->typing_deadline) {
    ScheduleTypingExpiryLocked(member);  // refreshed since this timer was set
    return;
  }
  member->typing = false;
  SendTypingLocked(*member, /*active=*/false, &notes);
  MaybeTrimLocked(&notes);
}

Room::CollectResult Room::Collect(uint64_t conn_id, size_t max_events, size_t max_bytes,
                                  bool register_if_idle, std::vector<grpc::Slice>* out,
                                  Notifications* notes) {
  chat::MutexLock lock(&mu_);
  auto it = members_.find(conn_id);
  if (it == members_.end()) {
    return CollectResult::kGone;
  }
  Member* member = it->second.get();
  if (member->pending || member->feed != nullptr) {
    return CollectResult::kIdle;  // nothing before its Welcome; a fed member has no cursor
  }
  if (BacklogLocked(*member) > max_outbound_bytes_) {
    RemoveMemberLocked(conn_id, notes);
    return CollectResult::kSlowConsumer;
  }
  const uint64_t tail = TailLocked();
  // One allocation for the batch instead of one per doubling (a behind reader takes dozens).
  out->reserve(out->size() + std::min<uint64_t>(tail - std::min(member->cursor, tail),
                                                max_events));
  size_t events = 0;
  size_t bytes = 0;
  const int64_t oldest_ns = member->cursor < tail ? log_[member->cursor - log_start_].appended_ns : 0;
  while (member->cursor < tail && events < max_events && bytes < max_bytes) {
    const LogEntry& entry = log_[member->cursor - log_start_];
    ++member->cursor;
    if (entry.addressed || (entry.skip_origin && entry.origin == conn_id)) {
      continue;  // a fed member's Welcome, or this member's own typing notice
    }
    out->push_back(entry.bytes);
    bytes += entry.bytes.size();
    ++events;
  }
  if (events > 0) {
    ObserveFanoutLatency(oldest_ns);
    return CollectResult::kEvents;
  }
  if (register_if_idle && !member->waiting) {
    AddWaitingLocked(member);
  }
  return CollectResult::kIdle;
}

Room::CollectResult Room::CollectFeed(Subscriber* reader, size_t max_events, size_t max_bytes,
                                      std::vector<FeedItem>* out, Notifications* notes) {
  chat::MutexLock lock(&mu_);
  auto it = feeds_.find(reader);
  if (it == feeds_.end()) {
    return CollectResult::kGone;
  }
  Member* feed = it->second.get();
  if (BacklogLocked(*feed) > max_outbound_bytes_) {
    DropFeedLocked(feed, notes);
    return CollectResult::kSlowConsumer;
  }
  const uint64_t tail = TailLocked();
  const int64_t oldest_ns = feed->cursor < tail ? log_[feed->cursor - log_start_].appended_ns : 0;
  size_t events = 0;
  size_t bytes = 0;
  bool open_to_all = false;  // out->back() is this call's and goes to every member
  bool open_own = false;     // out->back() is this call's (to the sessions in `recipients`)
  std::vector<uint64_t> recipients;
  while (feed->cursor < tail && events < max_events && bytes < max_bytes) {
    const uint64_t index = feed->cursor++;
    const LogEntry& entry = log_[index - log_start_];
    bool to_all = !entry.addressed && index >= feed->max_fed_from;
    if (to_all && entry.skip_origin) {
      auto origin = members_.find(entry.origin);
      to_all = origin == members_.end() || origin->second->feed != feed;
    }
    if (to_all) {
      if (!open_to_all) {
        FeedItem item;
        item.sessions.reserve(feed->fed.size());
        for (const Member* member : feed->fed) {
          item.sessions.push_back(member->feed_session);
        }
        out->push_back(std::move(item));
        open_to_all = true;
        open_own = false;
      }
    } else {
      RecipientsLocked(*feed, entry, index, &recipients);
      if (recipients.empty()) {
        continue;
      }
      if (!open_own || out->back().sessions != recipients) {
        out->push_back(FeedItem{recipients, {}});
        open_own = true;
        open_to_all = false;
      }
    }
    out->back().events.push_back(entry.bytes);
    bytes += entry.bytes.size();
    ++events;
  }
  if (events > 0) {
    ObserveFanoutLatency(oldest_ns);
    return CollectResult::kEvents;
  }
  if (!feed->waiting) {
    AddWaitingLocked(feed);
  }
  return CollectResult::kIdle;
}

void Room::RecipientsLocked(const Member& feed, const LogEntry& entry, uint64_t index,
                            std::vector<uint64_t>* sessions) const {
  sessions->clear();
  if (entry.addressed) {
    auto member = members_.find(entry.origin);
    if (member != members_.end() && member->second->feed == &feed) {
      sessions->push_back(member->second->feed_session);
    }
    return;
  }
  for (const Member* member : feed.fed) {
    if (member->fed_from <= index && !(entry.skip_origin && member->conn_id == entry.origin)) {
      sessions->push_back(member->feed_session);
    }
  }
}

void Room::DropFeedLocked(Member* feed, Notifications* notes) {
  // The last removal takes the feed with it.
  const std::vector<Member*> fed = feed->fed;
  for (const Member* member : fed) {
    RoomdMetrics::Get().slow_consumers->Inc();
    notes->Drop(member->subscriber, SlowConsumerStatus());
    RemoveMemberLocked(member->conn_id, notes);
  }
}

uint64_t Room::BacklogLocked(const Member& member) const {
  if (member.cursor >= TailLocked()) {
    return 0;
  }
  const LogEntry& first = log_[member.cursor - log_start_];
  return total_bytes_ - (first.end_offset - first.counted());
}

void Room::AppendLocked(const chat::v1::ServerEvent& event, uint64_t origin, bool skip_origin,
                        Notifications* notes) {
  AppendBytesLocked(SerializeToSlice(event), origin, skip_origin, notes);
}

bool Room::SendToFed(uint64_t conn_id, grpc::Slice bytes, Notifications* notes) {
  chat::MutexLock lock(&mu_);
  auto member = members_.find(conn_id);
  if (member == members_.end() || member->second->feed == nullptr) {
    return false;
  }
  AppendBytesLocked(std::move(bytes), conn_id, /*skip_origin=*/false, notes, /*addressed=*/true);
  MaybeTrimLocked(notes);
  return true;
}

void Room::AppendBytesLocked(grpc::Slice bytes, uint64_t origin, bool skip_origin,
                             Notifications* notes, bool addressed, bool counted) {
  // An uncounted entry counts toward no backlog, but takes memory until read like any.
  log_bytes_ += bytes.size();
  LogEntry entry{std::move(bytes), 0, origin, skip_origin, addressed, !counted};
  total_bytes_ += entry.counted();
  entry.end_offset = total_bytes_;
  log_.push_back(std::move(entry));
  if (addressed) {
    // Only its member's feed has something new.
    auto member = members_.find(origin);
    if (member != members_.end() && member->second->feed != nullptr &&
        member->second->feed->waiting) {
      Member* feed = member->second->feed;
      RemoveWaitingLocked(feed);
      notes->Wake(feed->subscriber);
    }
    return;
  }
  // Wake the idle members; the origin of a skip-origin entry has nothing new and stays.
  size_t kept = 0;
  for (Member* member : waiting_) {
    if (skip_origin && member->conn_id == origin) {
      member->waiting_pos = kept;
      waiting_[kept++] = member;
      continue;
    }
    member->waiting = false;
    notes->Wake(member->subscriber);
  }
  waiting_.resize(kept);
}

void Room::AddWaitingLocked(Member* member) {
  member->waiting = true;
  member->waiting_pos = waiting_.size();
  waiting_.push_back(member);
  // Every reader (members reading for themselves, and feeds) is idle: what they all read
  // can go now. Else an idle room would keep up to trim_slack_ of read entries (a join
  // storm's Welcomes) for good.
  if (waiting_.size() == members_.size() - fed_members_ + feeds_.size()) {
    DropReadEntriesLocked();
  }
}

void Room::DropReadEntriesLocked() {
  uint64_t min_cursor = TailLocked();
  for (const Member* reader : waiting_) {
    min_cursor = std::min(min_cursor, reader->cursor);
  }
  while (log_start_ < min_cursor && !log_.empty()) {
    log_bytes_ -= log_.front().bytes.size();
    log_.pop_front();
    ++log_start_;
  }
  trim_at_bytes_ = log_bytes_ + TrimSlackLocked();
}

void Room::RemoveWaitingLocked(Member* member) {
  if (!member->waiting) {
    return;
  }
  Member* last = waiting_.back();
  waiting_[member->waiting_pos] = last;
  last->waiting_pos = member->waiting_pos;
  waiting_.pop_back();
  member->waiting = false;
}

void Room::RemoveMemberLocked(uint64_t conn_id, Notifications* notes) {
  auto it = members_.find(conn_id);
  if (it == members_.end()) {
    return;
  }
  std::unique_ptr<Member> member = std::move(it->second);
  members_.erase(it);
  RemoveWaitingLocked(member.get());
  if (Member* feed = member->feed; feed != nullptr) {
    --fed_members_;
    Member* last = feed->fed.back();
    feed->fed[member->fed_pos] = last;
    last->fed_pos = member->fed_pos;
    feed->fed.pop_back();
    if (feed->fed.empty()) {
      RemoveWaitingLocked(feed);
      feeds_.erase(feed->reader);
    }
  }
  if (member->typing) {
    SendTypingLocked(*member, /*active=*/false, notes);
  }
  if (link_ != nullptr) {
    ReleaseLocalUserLocked(*member);
  } else if (auto user = online_.find(member->user->id());
             user != online_.end() && --user->second.connections == 0) {
    const UserRef left = std::move(user->second.user);
    online_.erase(user);
    UnindexOnlineLocked(*left);
    PresenceChangedLocked(left, /*joined=*/false, grpc::Slice(), conn_id, notes);
  }
  if (members_.empty()) {
    // Nobody reads the log any more.
    log_start_ = TailLocked();
    log_.clear();
    log_bytes_ = 0;
    trim_at_bytes_ = TrimSlackLocked();
    coalescer_.Take(name_, 0);  // nobody to tell
  }
}

void Room::MaybeTrimLocked(Notifications* notes) {
  if (log_bytes_ < trim_at_bytes_) {
    return;
  }
  const uint64_t tail = TailLocked();
  // The oldest entry a member within its outbound limit may still need.
  uint64_t keep_from = log_start_;
  while (keep_from < tail) {
    const LogEntry& entry = log_[keep_from - log_start_];
    if (total_bytes_ - (entry.end_offset - entry.counted()) <= max_outbound_bytes_) {
      break;
    }
    ++keep_from;
  }
  std::vector<uint64_t> laggards;
  uint64_t min_cursor = tail;
  for (const auto& [conn_id, member] : members_) {
    if (member->feed != nullptr) {
      continue;  // its feed reads for it
    }
    if (member->cursor < keep_from) {
      laggards.push_back(conn_id);
    } else {
      min_cursor = std::min(min_cursor, member->cursor);
    }
  }
  std::vector<Member*> lagging_feeds;
  for (const auto& [reader, feed] : feeds_) {
    if (feed->cursor < keep_from) {
      lagging_feeds.push_back(feed.get());
    } else {
      min_cursor = std::min(min_cursor, feed->cursor);
    }
  }
  for (uint64_t conn_id : laggards) {
    notes->Drop(members_[conn_id]->subscriber, SlowConsumerStatus());
    RemoveMemberLocked(conn_id, notes);
  }
  for (Member* feed : lagging_feeds) {
    DropFeedLocked(feed, notes);
  }
  while (log_start_ < min_cursor && !log_.empty()) {
    log_bytes_ -= log_.front().bytes.size();
    log_.pop_front();
    ++log_start_;
  }
  trim_at_bytes_ = log_bytes_ + TrimSlackLocked();
}

uint64_t Room::TrimSlackLocked() const {
  const uint64_t scanned = members_.size() + feeds_.size();
  return std::clamp<uint64_t>(scanned * kTrimSlackPerMember, kMinTrimSlack, trim_slack_);
}

std::vector<chat::v1::User> Room::Online() const {
  chat::MutexLock lock(&mu_);
  std::vector<const OnlineUser*> users = SortedOnlineLocked();
  std::vector<chat::v1::User> result;
  result.reserve(users.size());
  for (const OnlineUser* entry : users) {
    result.push_back(*entry->user);
  }
  return result;
}

chat::v1::GetHistoryResponse Room::History(uint64_t after_seq, uint32_t limit,
                                           uint64_t before_seq) const {
  chat::v1::GetHistoryResponse response;
  response.set_room(name_);
  chat::MutexLock lock(&mu_);
  auto by_seq = [](const chat::v1::ChatMessage& message, uint64_t seq) {
    return message.seq() < seq;
  };
  auto first = std::upper_bound(
      history_.begin(), history_.end(), after_seq,
      [](uint64_t seq, const chat::v1::ChatMessage& message) { return seq < message.seq(); });
  auto last = before_seq == 0 ? history_.end()
                              : std::lower_bound(first, history_.end(), before_seq, by_seq);
  if (limit != 0 && static_cast<uint64_t>(last - first) > limit) {
    // Forward reads keep the oldest, backward pages (before_seq) the newest.
    if (before_seq == 0) {
      last = first + limit;
    } else {
      first = last - limit;
    }
  }
  for (auto it = first; it != last; ++it) {
    *response.add_messages() = *it;
  }
  response.set_last_seq(last_seq_);
  return response;
}

absl::StatusOr<chat::v1::GetHistoryResponse> Room::Page(uint64_t after_seq, uint64_t before_seq,
                                                        uint32_t limit) const {
  if (store_ != nullptr) {
    return store_->History(name_, after_seq, before_seq, limit);
  }
  return History(after_seq, limit, before_seq);
}

chat::v1::RoomInfo Room::Info() const {
  chat::v1::RoomInfo info;
  info.set_name(name_);
  chat::MutexLock lock(&mu_);
  info.set_online_count(static_cast<uint32_t>(online_.size()));
  info.set_last_seq(last_seq_);
  return info;
}

bool Room::CloseIfEmpty() {
  chat::MutexLock lock(&mu_);
  if (!members_.empty() || uncommitted_ != 0) {
    return false;
  }
  closed_ = true;
  return true;
}

size_t Room::connection_count() const {
  chat::MutexLock lock(&mu_);
  return members_.size();
}

absl::Time Room::last_activity() const {
  chat::MutexLock lock(&mu_);
  return last_activity_;
}

size_t Room::LogEntriesForTest() const {
  chat::MutexLock lock(&mu_);
  return log_.size();
}

uint64_t Room::BacklogBytesForTest(uint64_t conn_id) const {
  chat::MutexLock lock(&mu_);
  auto it = members_.find(conn_id);
  return it == members_.end() ? 0 : BacklogLocked(*it->second);
}

}  // namespace roomd
