#include "roomd/grpc/relay_stream.h"

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ring_deque.h"
#include "roomd/core/logger.h"
#include "roomd/grpc/call_credentials.h"
#include "roomd/grpc/status_convert.h"

namespace roomd {
namespace {

// Events a session may have waiting to be read (it reads none while its join completes);
// a client that sends more than this meanwhile is dropped, not buffered without bound.
constexpr size_t kMaxWaitingEvents = 256;
// One write carries items up to about this many bytes (at least one item), well under the
// bridge's receive limit.
constexpr size_t kMaxWriteBytes = 1 << 20;
// What a session id adds to an item it joins (a varint's most).
constexpr size_t kMaxSessionIdBytes = 10;

// The very same event slices (not merely equal bytes): a broadcast's log entries, which
// the sessions it woke one after another collected alike.
bool SameEvents(const std::vector<grpc::Slice>& a, const std::vector<grpc::Slice>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].begin() != b[i].begin() || a[i].size() != b[i].size()) {
      return false;
    }
  }
  return true;
}

}  // namespace

// One session of the relay: the ChatSession's transport. Everything but `id` and `relay`
// is guarded by the relay's mu_.
class RelayStream::Session final : public SessionTransport,
                                   public std::enable_shared_from_this<Session> {
 public:
  Session(RelayStream* owner, uint64_t session_id) : relay(owner), id(session_id) {}

  ConnectionKind kind() const override { return ConnectionKind::kRelaySession; }

  void RequestRead() override {
    chat::MutexLock lock(&relay->mu_);
    wants_read = true;
    if (!delivering && HasInputLocked()) {
      // Asked from outside a delivery (a join that completed later): deliver from the
      // timer thread, since the caller holds the session's lock.
      delivering = true;
      relay->DeliverLater(shared_from_this());
    }
  }

  bool AlwaysBatches() const override { return true; }

  Room::FeedKey FeedFor(const std::shared_ptr<Room>& room) override;

  void Write(std::vector<grpc::Slice> events, bool /*more*/) override {
    chat::MutexLock lock(&relay->mu_);
    if (relay->broken_ || done) {
      return;  // the relay is going away; every session ends with it
    }
    Outgoing outgoing;
    outgoing.session = shared_from_this();
    outgoing.item.session = id;
    outgoing.item.events = std::move(events);
    relay->QueueLocked(std::move(outgoing));
  }

  void Finish(const absl::Status& status, bool /*abort*/) override {
    // Abort needs nothing more here: the relay's writes never wait for one session.
    chat::MutexLock lock(&relay->mu_);
    if (finish_requested) {
      return;
    }
    finish_requested = true;
    if (relay->broken_) {
      return;  // EndAllSessions completes it
    }
    Outgoing outgoing;
    outgoing.session = shared_from_this();
    outgoing.item.session = id;
    outgoing.item.done = true;
    outgoing.item.status = status;
    relay->QueueLocked(std::move(outgoing));
  }

  // The relay calls this under its own mu_ for its own sessions: it tells the thread-safety
  // analysis, which cannot see through `relay`, that this session's lock is that one.
  void AssertLockedBy([[maybe_unused]] const RelayStream* owner) const
      ABSL_ASSERT_EXCLUSIVE_LOCK(relay->mu_) {
    assert(owner == relay);
  }

  bool HasInputLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(relay->mu_) {
    return !inbox.empty() || (input_ended && !end_delivered);
  }

  RelayStream* const relay;
  const uint64_t id;
  // The session; the transport's reference is held until `done`.
  ChatSession* chat ABSL_GUARDED_BY(relay->mu_) = nullptr;
  chat::RingDeque<grpc::Slice> inbox ABSL_GUARDED_BY(relay->mu_);
  bool input_ended ABSL_GUARDED_BY(relay->mu_) = false;  // a nullptr read follows the inbox
  bool end_delivered ABSL_GUARDED_BY(relay->mu_) = false;
  bool wants_read ABSL_GUARDED_BY(relay->mu_) = false;
  bool delivering ABSL_GUARDED_BY(relay->mu_) = false;  // a Deliver() runs or is scheduled
  bool flooded ABSL_GUARDED_BY(relay->mu_) = false;
  bool finish_requested ABSL_GUARDED_BY(relay->mu_) = false;
  bool done ABSL_GUARDED_BY(relay->mu_) = false;
};

// The relay's reader of one room (Room::FeedKey): it collects the room's events once for
// all the relay's sessions there and queues them as items naming those sessions. Like a
// session it has one collect's items in flight: it collects again once they are written.
// Its state is guarded by the relay's mu_. Lifetime: reference-counted (the relay's
// feeds_ and the room's notifications hold it); it holds the relay.
class RelayStream::Feed final : public Subscriber {
 public:
  Feed(RelayStream* owner, const std::shared_ptr<Room>& room) : relay(owner), room_(room) {
    relay->Ref();
  }

  void Ref() override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete this;
    }
  }
  void OnEventsAvailable() override { Collect(); }
  // The room drops a lagging feed's sessions one by one (OnDropped of each), not the feed.
  void OnDropped(const absl::Status& /*why*/) override {}

  bool Serves(const std::shared_ptr<Room>& room) const { return room_.lock() == room; }

  // Collects what the room has and queues it, unless the last collect's items are still
  // being written (then they ask again once written).
  void Collect();
  // The last collect's items were written: collect again (unless the relay broke).
  void WriteDone(bool ok);

  RelayStream* const relay;

 private:
  ~Feed() override { relay->Unref(); }

  const std::weak_ptr<Room> room_;
  std::atomic<int> refs_{0};
  bool busy_ ABSL_GUARDED_BY(relay->mu_) = false;   // collecting, or its items unwritten
  bool again_ ABSL_GUARDED_BY(relay->mu_) = false;  // woken while collecting
};

RelayStream::FeedHold::FeedHold(Feed* feed) : feed_(feed) {
  if (feed_ != nullptr) {
    feed_->Ref();
  }
}

RelayStream::FeedHold::FeedHold(FeedHold&& other) noexcept : feed_(other.feed_) {
  other.feed_ = nullptr;
}

RelayStream::FeedHold& RelayStream::FeedHold::operator=(FeedHold&& other) noexcept {
  if (this != &other) {
    if (feed_ != nullptr) {
      feed_->Unref();
    }
    feed_ = other.feed_;
    other.feed_ = nullptr;
  }
  return *this;
}

RelayStream::FeedHold::~FeedHold() {
  if (feed_ != nullptr) {
    feed_->Unref();
  }
}

Room::FeedKey RelayStream::Session::FeedFor(const std::shared_ptr<Room>& room) {
  chat::MutexLock lock(&relay->mu_);
  FeedHold& hold = relay->feeds_[room.get()];
  if (hold.get() == nullptr || !hold.get()->Serves(room)) {
    hold = FeedHold(new Feed(relay, room));  // a room recycled at the same address
  }
  return Room::FeedKey{hold.get(), id};
}

void RelayStream::Feed::Collect() {
  {
    chat::MutexLock lock(&relay->mu_);
    if (busy_) {
      again_ = true;
      return;
    }
    busy_ = true;
  }
  for (;;) {
    std::vector<Room::FeedItem> items;
    if (std::shared_ptr<Room> room = room_.lock()) {
      Notifications notes;  // a lagging feed's drops, delivered before the relay's lock
      room->CollectFeed(this, relay->options_.max_batch_events,
                        relay->options_.max_batch_bytes, &items, &notes);
    }
    chat::MutexLock lock(&relay->mu_);
    if (!items.empty() && !relay->broken_ && !relay->finished_) {
      for (size_t i = 0; i < items.size(); ++i) {
        Room::FeedItem& collected = items[i];
        RoomdMetrics::Get().WroteTo(collected.events, collected.sessions.size());
        Outgoing outgoing;
        outgoing.from_feed = true;
        outgoing.item.session = collected.sessions.front();
        outgoing.item.more_sessions.assign(collected.sessions.begin() + 1,
                                           collected.sessions.end());
        outgoing.item.events = std::move(collected.events);
        if (i + 1 == items.size()) {
          outgoing.feed = FeedHold(this);
        }
        relay->QueueLocked(std::move(outgoing));
      }
      return;  // busy until written
    }
    if (!again_) {
      busy_ = false;
      return;
    }
    again_ = false;
  }
}

void RelayStream::Feed::WriteDone(bool ok) {
  {
    chat::MutexLock lock(&relay->mu_);
    busy_ = false;
    again_ = false;
  }
  if (ok) {
    Collect();
  }
}

RelayStream::RelayStream(grpc::CallbackServerContext* context, const ServerOptions& options,
                         RoomRegistry* rooms, SessionTracker* tracker, Timer* timer,
                         RelayRegistry* registry, const auth::Authenticator* auth)
    : options_(options),
      rooms_(rooms),
      tracker_(tracker),
      timer_(timer),
      registry_(registry),
      auth_(auth),
      peer_(context->peer()) {
  RoomdMetrics::Get().ConnectionOpened(ConnectionKind::kRelay);
  if (absl::Status admitted = auth_->AdmitRelay(MetadataValue(*context, chat::kRelaySecretMetadata),
                                                 HasVerifiedClientCertificate(*context));
      !admitted.ok()) {
    Log("error relay peer=%s: %s", peer_, admitted.ToString());
    Finish(ToGrpcStatus(admitted));
  } else if (!registry_->Add(this)) {
    Finish(ToGrpcStatus(absl::UnavailableError("server shutting down")));
  } else {
    Log("relay open peer=%s", peer_);
    StartRead(&in_);
  }
  constructed_.store(true, std::memory_order_release);
}

void RelayStream::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    delete this;
  }
}

void RelayStream::Shutdown() {
  {
    chat::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  MaybeFinish();
}

void RelayStream::OnReadDone(bool ok) {
  AcquireConstruction();
  if (!ok) {
    EndAllSessions();  // the bridge closed the relay or went away
    MaybeFinish();
    return;
  }
  grpc::Slice frame;
  absl::StatusOr<std::vector<RelayUpItem>> items =
      in_.DumpToSingleSlice(&frame).ok() ? ParseRelayUp(frame)
                                         : absl::InvalidArgumentError("unreadable RelayUp");
  in_.Clear();
  if (!items.ok()) {
    Log("error relay peer=%s: %s", peer_, items.status().ToString());
    FailRelay(items.status());
    return;
  }
  std::vector<std::shared_ptr<Session>> started;
  std::vector<std::shared_ptr<Session>> to_deliver;
  std::vector<std::pair<ChatSession*, bool>> to_tell;  // (session, flooded: else cancelled)
  {
    chat::MutexLock lock(&mu_);
    if (finished_) {
      return;  // the relay has said its last word (shutdown): nothing more starts
    }
    for (RelayUpItem& item : *items) {
      auto it = sessions_.find(item.session);
      if (it == sessions_.end()) {
        if (item.session <= last_session_id_ || input_ended_ ||
            item.action != RelayUpItem::Action::kEvent) {
          continue;  // an ended session's late item, or one that never started
        }
        last_session_id_ = item.session;
        auto session = std::make_shared<Session>(this, item.session);
        session->AssertLockedBy(this);
        session->chat = new ChatSession(session.get(), absl::StrCat(peer_, " relay#", item.session),
                                        options_, rooms_, tracker_, timer_, auth_,
                                        /*metadata_token=*/"");
        session->delivering = true;  // this reaction delivers after Start
        it = sessions_.emplace(item.session, session).first;
        started.push_back(session);
      }
      Session& session = *it->second;
      session.AssertLockedBy(this);
      if (session.input_ended || session.done) {
        continue;
      }
      switch (item.action) {
        case RelayUpItem::Action::kEvent:
          if (session.inbox.size() >= kMaxWaitingEvents) {
            if (!session.flooded) {
              session.flooded = true;
              session.chat->Ref();
              to_tell.emplace_back(session.chat, true);
            }
            continue;
          }
          session.inbox.push_back(std::move(item.event));
          break;
        case RelayUpItem::Action::kClose:
          session.input_ended = true;
          break;
        case RelayUpItem::Action::kCancel:
          session.input_ended = true;
          session.chat->Ref();
          to_tell.emplace_back(session.chat, false);
          break;
        case RelayUpItem::Action::kNone:
          continue;
      }
      if (!session.delivering) {
        session.delivering = true;
        to_deliver.push_back(it->second);
      }
    }
  }
  for (const std::shared_ptr<Session>& session : started) {
    ChatSession* chat;
    {
      chat::MutexLock lock(&mu_);
      session->AssertLockedBy(this);
      chat = session->chat;
    }
    chat->Start();
    to_deliver.push_back(session);
  }
  for (auto& [chat, flooded] : to_tell) {
    if (flooded) {
      chat->OnDropped(absl::ResourceExhaustedError(absl::StrCat(
          "more than ", kMaxWaitingEvents, " events sent before the join completed")));
    } else {
      chat->OnCancel();
    }
    chat->Unref();
  }
  for (const std::shared_ptr<Session>& session : to_deliver) {
    Deliver(session);
  }
  StartRead(&in_);
}

void RelayStream::Deliver(const std::shared_ptr<Session>& session) {
  for (;;) {
    ChatSession* chat = nullptr;
    grpc::Slice event;
    bool end = false;
    {
      chat::MutexLock lock(&mu_);
      session->AssertLockedBy(this);
      if (session->done || !session->wants_read || !session->HasInputLocked()) {
        session->delivering = false;
        return;
      }
      session->wants_read = false;
      if (!session->inbox.empty()) {
        event = std::move(session->inbox.front());
        session->inbox.pop_front();
        if (session->inbox.empty()) {
          session->inbox.clear();  // an idle session keeps no ring (most of them are idle)
        }
      } else {
        end = true;
        session->end_delivered = true;
      }
      chat = session->chat;
      chat->Ref();
    }
    if (end) {
      chat->OnRead(nullptr);
    } else {
      grpc::ByteBuffer bytes(&event, 1);
      chat->OnRead(&bytes);
    }
    chat->Unref();
  }
}

void RelayStream::DeliverLater(std::shared_ptr<Session> session) {
  Ref();
  std::shared_ptr<RelayStream> self(this, [](RelayStream* relay) { relay->Unref(); });
  timer_->Schedule(absl::Now(), [self, session = std::move(session)] { self->Deliver(session); });
}

void RelayStream::QueueLocked(Outgoing outgoing) {
  pending_.push_back(std::move(outgoing));
  MaybeStartWriteLocked();
}

void RelayStream::MaybeStartWriteLocked() {
  if (writing_ || broken_ || finished_ || pending_.empty()) {
    return;
  }
  // Consecutive sessions given the same events share one item, so a broadcast crosses the
  // relay once per write rather than once per session.
  std::vector<RelayDownItem> items;
  size_t bytes = 0;
  size_t count = 0;
  bool last_from_feed = false;
  for (; count < pending_.size() && (count == 0 || bytes < kMaxWriteBytes); ++count) {
    Outgoing& next = pending_[count];
    in_flight_.push_back(Written{std::move(next.session), next.item.done, std::move(next.feed)});
    if (!next.from_feed && !last_from_feed && !next.item.done && !items.empty() &&
        !items.back().done && SameEvents(items.back().events, next.item.events)) {
      items.back().more_sessions.push_back(next.item.session);
      bytes += kMaxSessionIdBytes;
      continue;
    }
    bytes += RelayDownItemBytes(next.item);
    items.push_back(std::move(next.item));
    last_from_feed = next.from_feed;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  out_ = EncodeRelayDown(items);
  writing_ = true;
  StartWrite(&out_);
}

void RelayStream::OnWriteDone(bool ok) {
  AcquireConstruction();
  // Each written item's session, referenced, and whether the item was its last.
  std::vector<std::pair<ChatSession*, bool>> written;
  std::vector<FeedHold> feeds;  // whose collects were written
  {
    chat::MutexLock lock(&mu_);
    writing_ = false;
    out_.Clear();
    if (!ok) {
      broken_ = true;
      pending_.clear();
    }
    for (Written& item : in_flight_) {
      if (item.feed.get() != nullptr) {
        feeds.push_back(std::move(item.feed));
      }
      if (item.session == nullptr) {
        continue;  // a feed's item
      }
      Session& session = *item.session;
      session.AssertLockedBy(this);
      if (session.done) {
        continue;
      }
      session.chat->Ref();
      written.emplace_back(session.chat, item.last);
      if (item.last) {
        session.done = true;
        session.chat = nullptr;
        sessions_.erase(session.id);
      }
    }
    in_flight_.clear();
    MaybeStartWriteLocked();
  }
  // A session's writes come before its done item, so it is told in that order.
  for (auto& [chat, last] : written) {
    if (last) {
      chat->OnDone();  // releases the transport's reference
    } else {
      chat->OnWriteDone(ok);
    }
    chat->Unref();
  }
  for (const FeedHold& feed : feeds) {
    feed.get()->WriteDone(ok);
  }
  feeds.clear();
  if (!ok) {
    EndAllSessions();
  }
  MaybeFinish();
}

void RelayStream::EndAllSessions() {
  std::vector<std::shared_ptr<Session>> all;
  bool broken;
  {
    chat::MutexLock lock(&mu_);
    input_ended_ = true;
    broken = broken_;
    all.reserve(sessions_.size());
    for (auto& [id, session] : sessions_) {
      session->AssertLockedBy(this);
      if (!session->done) {
        session->input_ended = true;
        all.push_back(session);
      }
    }
  }
  for (const std::shared_ptr<Session>& session : all) {
    ChatSession* chat = nullptr;
    bool deliver = false;
    {
      chat::MutexLock lock(&mu_);
      session->AssertLockedBy(this);
      if (session->done) {
        continue;
      }
      chat = session->chat;
      chat->Ref();
      if (!session->delivering) {
        session->delivering = true;
        deliver = true;
      }
    }
    chat->OnCancel();  // a joining session reads nothing: tell it directly
    chat->Unref();
    if (deliver) {
      Deliver(session);
    }
  }
  if (!broken) {
    return;  // the sessions' done items go out as usual
  }
  for (const std::shared_ptr<Session>& session : all) {
    ChatSession* chat = nullptr;
    {
      chat::MutexLock lock(&mu_);
      session->AssertLockedBy(this);
      if (session->done) {
        continue;
      }
      session->done = true;
      chat = session->chat;
      session->chat = nullptr;
      sessions_.erase(session->id);
    }
    chat->OnDone();
  }
}

void RelayStream::FailRelay(const absl::Status& status) {
  {
    chat::MutexLock lock(&mu_);
    final_status_ = status;
    broken_ = true;
    pending_.clear();
  }
  EndAllSessions();
  MaybeFinish();
}

void RelayStream::MaybeFinish() {
  chat::MutexLock lock(&mu_);
  if (finished_ || !(input_ended_ || broken_ || shutting_down_) || !sessions_.empty() ||
      writing_ || (!broken_ && !pending_.empty())) {
    return;
  }
  if (!input_ended_ && !broken_ && shutting_down_) {
    final_status_ = absl::UnavailableError("server shutting down");
  }
  finished_ = true;
  // Under mu_ (gRPC runs OnDone later, never inline), so OnDone's lock orders everything
  // Finish saw of the call before the relay is deleted.
  Finish(ToGrpcStatus(final_status_));
}

void RelayStream::OnDone() {
  AcquireConstruction();
  absl::flat_hash_map<const Room*, FeedHold> feeds;  // released with no lock held
  {
    chat::MutexLock lock(&mu_);
    Log("relay closed peer=%s", peer_);
    feeds.swap(feeds_);
    pending_.clear();
    in_flight_.clear();
  }
  feeds.clear();
  registry_->Remove(this);
  RoomdMetrics::Get().ConnectionClosed(ConnectionKind::kRelay, absl::OkStatus());
  Unref();
}

bool RelayRegistry::Add(RelayStream* relay) {
  chat::MutexLock lock(&mu_);
  if (shutting_down_) {
    return false;
  }
  relays_.insert(relay);
  return true;
}

void RelayRegistry::Remove(RelayStream* relay) {
  chat::MutexLock lock(&mu_);
  relays_.erase(relay);
}

size_t RelayRegistry::size() const {
  chat::MutexLock lock(&mu_);
  return relays_.size();
}

void RelayRegistry::ShutdownAll() {
  std::vector<RelayStream*> relays;
  {
    chat::MutexLock lock(&mu_);
    shutting_down_ = true;
    for (RelayStream* relay : relays_) {
      relay->Ref();
      relays.push_back(relay);
    }
  }
  for (RelayStream* relay : relays) {
    relay->Shutdown();
    relay->Unref();
  }
}

}  // namespace roomd
