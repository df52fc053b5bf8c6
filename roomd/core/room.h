#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/support/slice.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "roomd/broker/broker.h"
#include "roomd/core/online_index.h"
#include "roomd/core/presence_coalescer.h"
#include "roomd/core/sent_ledger.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "roomd/core/user_ref.h"
#include "roomd/store/message_store.h"

namespace roomd {

// A relay's sessions in a room can share one cursor, a feed: the room's events then reach
// the relay once, addressed to all of them, instead of once per session. `reader` is the
// relay's (woken like a member when the log grows, and it collects with Room::CollectFeed);
// `session` is the relay's id of the joining session. A feed lives in the room while it
// carries a session; the reader must outlive that.
struct RoomFeedKey {
  Subscriber* reader = nullptr;
  uint64_t session = 0;
};
// What a feed collected: `events` go to each of `sessions` (relay session ids).
struct RoomFeedItem {
  std::vector<uint64_t> sessions;
  std::vector<grpc::Slice> events;
};

// One chat room: its members (connections), presence (users counted by connections), the
// message seq, the history ring, and an append-only log of serialized broadcast events that
// each member reads with its own cursor, or, for a relay's sessions, through the relay's one
// cursor for all of them (a feed). Fan-out is an append plus a wake of the idle members and
// feeds only; one that is busy writing picks the new entries up when its write completes.
//
// Without a link (memory broker) the room is its own authority: it sequences messages and
// decides presence itself. With a RoomLink (shared broker) it is this node's replica of a
// shared room: members' actions go out through the link, and the seq, history and presence
// change only when the broker's sequenced events come back (ApplySnapshot / ApplyEvent, on
// the broker's thread). The welcome, built from the replica under the same lock that places
// the member's cursor, stays consistent either way.
//
// With a MessageStore (--store=sqlite:...) the room is still its own authority, but a
// sequenced message goes to the store first and is delivered (history ring, fan-out) only
// once its group commit is done: whoever sees a seq can count on the message surviving a
// crash. The room's last_seq is then the last delivered seq; seqs the store has not
// confirmed yet are `assigned_seq_`, and a failed commit hands them back.
//
// Thread-safe. Lifetime: shared (shared_ptr) by the registry and the sessions in the room;
// typing timers and broker callbacks hold weak_ptrs.
class Room : public std::enable_shared_from_this<Room> {
 public:
  enum class CollectResult {
    kEvents,        // entries were appended to `out`
    kIdle,          // nothing new (and, if asked, the member was registered for a wake)
    kGone,          // the connection is not a member (left or dropped)
    kSlowConsumer,  // the member's backlog passed the limit: it was removed from the room
  };

  using FeedKey = RoomFeedKey;
  using FeedItem = RoomFeedItem;

  // `store` may be null (history only in the ring); else it outlives the room.
  Room(std::string name, const ServerOptions& options, Timer* timer,
       MessageStore* store = nullptr);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Takes the seq and latest messages the store holds; called once, before the room is
  // shared.
  void LoadStored(const StoredRoom& stored);

  // Links the room to a shared broker; called once, before the room is shared.
  void AttachLink(std::unique_ptr<RoomLink> link);

  // Adds connection `conn_id` of `user`. Fills `welcome` (a ServerEvent holding Welcome)
  // from the same critical section that sets the member's cursor to the log's tail, so the
  // history it carries and the live events that follow have no gap and no overlap.
  // RESOURCE_EXHAUSTED when the room is full or the user has the maximum of connections in
  // it; ABORTED when the room was closed (look it up again); UNAVAILABLE when the shared broker is unreachable. In a shared room the join
  // may stay pending (OK with `welcome` left empty): the Welcome, or the failure, then
  // reaches the subscriber through OnJoined.
  // `epoch` is Join.epoch: when set and not the room's, the seqs the client kept are from an
  // earlier numbering, so after_seq is ignored and the Welcome says history_reset.
  // With a `feed` (not in a shared room), the member reads through it: its Welcome goes
  // into the log as an entry addressed to it alone (so the feed carries it in order, before
  // the entries that follow the join and after none that precede it), `welcome` is left
  // empty and *fed is set; the member itself never collects.
  // The room keeps `user` (shared, not copied) while the connection is in it.
  absl::Status Join(uint64_t conn_id, Subscriber* subscriber, UserRef user, uint64_t after_seq,
                    chat::v1::ServerEvent* welcome, Notifications* notes,
                    const std::string& epoch = "", FeedKey feed = {}, bool* fed = nullptr);
  absl::Status Join(uint64_t conn_id, Subscriber* subscriber, const chat::v1::User& user,
                    uint64_t after_seq, chat::v1::ServerEvent* welcome, Notifications* notes,
                    const std::string& epoch = "", FeedKey feed = {}, bool* fed = nullptr) {
    return Join(conn_id, subscriber, MakeUserRef(user), after_seq, welcome, notes, epoch, feed,
                fed);
  }

  // Removes the connection (no-op if it is not a member).
  void Leave(uint64_t conn_id, Notifications* notes);

  // The message path: accept -> Sequence -> DeliverSequenced (history + fan-out), or, in a
  // shared room, accept -> the broker, which sequences it and sends it back to every node;
  // the result then has seq 0 and a later failure reaches the origin member through
  // OnSendFailed (while the replica resyncs, the message waits until it is live).
  // With a store the result also has seq 0: the message is delivered once committed, and
  // `committed` (if set) then gets it, or the failure (which the origin member also gets
  // through OnSendFailed). Without a store `committed` is never called.
  // `origin_conn` is 0 for unary Post. Text is validated by the caller.
  // Idempotent per user and client_id (SentLedger): a client_id the room already sequenced
  // for `from` posts nothing and returns the original with *duplicate set (in a shared room
  // this node's ledger answers if it saw the original, else the broker finds that out and
  // the origin member then gets OnSendDuplicate). With a store,
  // the message returned has seq 0 and `committed` answers once the store has kept it; a
  // client_id sent before a restart is found in the store (FindSentLocked).
  using CommitCallback = std::function<void(absl::StatusOr<chat::v1::ChatMessage>)>;
  absl::StatusOr<chat::v1::ChatMessage> Post(const chat::v1::User& from, const std::string& text,
                                             const std::string& client_id, uint64_t origin_conn,
                                             Notifications* notes, bool* duplicate = nullptr,
                                             CommitCallback committed = nullptr);

  // Typing state of a connection; notices go to the others, and expire by themselves.
  void SetTyping(uint64_t conn_id, bool active, Notifications* notes);

  // Moves the member's cursor over the entries it has not seen yet (skipping its own
  // skip-origin entries), up to `max_events` / about `max_bytes`, appending their slices to
  // `out`. If there is nothing and `register_if_idle`, the member is woken on the next append.
  CollectResult Collect(uint64_t conn_id, size_t max_events, size_t max_bytes,
                        bool register_if_idle, std::vector<grpc::Slice>* out,
                        Notifications* notes);

  // A private event (an Error, a page, a resend's echo) for a fed member: it goes into the
  // log addressed to that member alone, so its feed carries it in order after the Welcome,
  // and counts toward the feed's backlog. False if `conn_id` is not a fed member (the
  // caller queues it itself).
  bool SendToFed(uint64_t conn_id, grpc::Slice bytes, Notifications* notes);

  // Collect for a feed: moves its cursor over up to `max_events` / about `max_bytes` of the
  // log and appends, per run of entries with the same recipients, one item naming the
  // sessions that get them (a typing notice not to its origin, a Welcome to its member
  // only, nothing from before a member's join). A feed whose backlog passed the outbound
  // limit is removed with all its members, each dropped as a slow consumer (kSlowConsumer);
  // kGone: the room has no feed of `reader` (its last member left). An idle feed is woken
  // on the next append for it.
  CollectResult CollectFeed(Subscriber* reader, size_t max_events, size_t max_bytes,
                            std::vector<FeedItem>* out, Notifications* notes);

  // The replica side of a shared room, called on the broker's thread.
  // Takes the shared room's state as of `snapshot` (members get the messages and presence
  // changes they missed) and goes live: pending joins can complete.
  void ApplySnapshot(const RoomSnapshot& snapshot);
  // One event of the shared room. `order` is 0 for unordered events (typing); `bytes` is
  // `event` serialized; `origin_conn` is the member of this node that caused it, else 0.
  struct SharedEvent {
    uint64_t order = 0;
    chat::v1::ServerEvent event;
    grpc::Slice bytes;
    uint64_t origin_conn = 0;
  };
  // Applies events of the shared room, in the room's order, under one lock: members are
  // woken once for the lot (the broker hands over what one read from Redis brought).
  void ApplyEvents(const std::vector<SharedEvent>& events);
  void ApplyEvent(uint64_t event_order, const chat::v1::ServerEvent& event,
                  const grpc::Slice& bytes, uint64_t origin_conn);
  // The link to the broker broke: pending joins fail, and the replica waits for a snapshot.
  void OnLinkDown();
  // The users with connections on this node (the broker re-announces them).
  std::vector<chat::v1::User> LocalUsers() const;
  uint64_t last_seq() const;
  std::string epoch() const;
  // The original of `resent` (its sender's same client_id) if this replica saw it
  // sequenced: the broker answers a unary resend with it before asking Redis.
  std::optional<chat::v1::ChatMessage> FindSent(const chat::v1::ChatMessage& resent) const;

  std::vector<chat::v1::User> Online() const;
  // A page of the online list sorted by name, with the exact count: `page_size` 0 means the
  // default, and it is capped. INVALID_ARGUMENT for a token this server did not give.
  absl::StatusOr<chat::v1::GetPresenceResponse> PresencePage(uint32_t page_size,
                                                             const std::string& page_token) const;
  // Messages of the ring with after_seq < seq < before_seq (0: no bound), oldest first, at
  // most `limit` (0: all the ring holds): the newest of them when before_seq is set.
  chat::v1::GetHistoryResponse History(uint64_t after_seq, uint32_t limit,
                                       uint64_t before_seq = 0) const;
  // The same page from the store when there is one (any depth), else from the ring.
  absl::StatusOr<chat::v1::GetHistoryResponse> Page(uint64_t after_seq, uint64_t before_seq,
                                                    uint32_t limit) const;
  chat::v1::RoomInfo Info() const;

  // For the registry's eviction: closes the room if no connection is in it and no message
  // waits for its commit (a room made again from the store must not reuse its seqs). A closed room
  // refuses Join and Post with ABORTED.
  bool CloseIfEmpty();
  size_t connection_count() const;
  absl::Time last_activity() const;

  // Test hooks.
  size_t LogEntriesForTest() const;
  uint64_t BacklogBytesForTest(uint64_t conn_id) const;

 private:
  struct LogEntry {
    grpc::Slice bytes;     // one serialized ServerEvent, shared by every recipient
    uint64_t end_offset;   // counted bytes appended up to and including this entry
    uint64_t origin;       // connection that caused it (0: none)
    bool skip_origin;      // e.g. typing notices go to the others only
    bool addressed = false;  // to `origin` alone (a fed member's private event)
    bool uncounted = false;  // counts toward no backlog (a Welcome, as when written directly)
    int64_t appended_ns = absl::GetCurrentTimeNanos();  // for the fan-out latency metric
    // The bytes the entry counts toward backlogs and trimming.
    uint64_t counted() const { return uncounted ? 0 : bytes.size(); }
  };
  struct Member {
    uint64_t conn_id = 0;
    Subscriber* subscriber = nullptr;
    UserRef user;  // null for a feed
    uint64_t cursor = 0;  // absolute index of the next log entry to deliver
    bool waiting = false;
    size_t waiting_pos = 0;
    bool typing = false;
    bool typing_timer_pending = false;
    absl::Time typing_deadline;
    bool pending = false;    // shared room: waiting for its Welcome (no cursor yet)
    // A fed member reads through its feed (no cursor of its own): the feed, its place in
    // the feed's list, its relay session id, and the first entry it gets after its Welcome.
    Member* feed = nullptr;
    size_t fed_pos = 0;
    uint64_t feed_session = 0;
    uint64_t fed_from = 0;
    // A feed (in feeds_, not members_): its reader, its members, and the largest fed_from
    // among them (entries from there on go to all of them but a skipped origin).
    Subscriber* reader = nullptr;
    std::vector<Member*> fed;
    uint64_t max_fed_from = 0;
    uint64_t after_seq = 0;  // Join.after_seq, for a Welcome built later
    std::string epoch;       // Join.epoch, likewise
  };
  // A user with connections on this node (shared room only).
  struct LocalUser {
    UserRef user;
    size_t connections = 0;
    bool add_in_flight = false;   // this node's own announcement has not been answered yet
    bool announced = false;       // the broker confirmed the user online...
    uint64_t online_from = 0;     // ...from this point of the room's event order
    uint64_t generation = 0;      // tells this entry's broker replies from older ones
  };
  static constexpr uint64_t kNoCursor = ~uint64_t{0};
  struct OnlineUser {
    UserRef user;  // its id is the entry's key
    size_t connections = 0;
    uint64_t order = 0;  // first-join order, for a stable online list
  };

  // This user's connections counted against --max_connections_per_user.
  size_t UserConnectionsLocked(const std::string& user_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t TailLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return log_start_ + log_.size();
  }
  uint64_t BacklogLocked(const Member& member) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `feed` with every member it carries, each dropped as a slow consumer.
  void DropFeedLocked(Member* feed, Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The relay session ids of the feed's members that get `entry` (at index `index`).
  void RecipientsLocked(const Member& feed, const LogEntry& entry, uint64_t index,
                        std::vector<uint64_t>* sessions) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(const chat::v1::ServerEvent& event, uint64_t origin, bool skip_origin,
                    Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendBytesLocked(grpc::Slice bytes, uint64_t origin, bool skip_origin,
                         Notifications* notes, bool addressed = false, bool counted = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Welcome for `user` from the current state: online list, history after `after_seq`.
  void FillWelcomeLocked(const chat::v1::User& user, uint64_t after_seq,
                         const std::string& epoch, chat::v1::ServerEvent* welcome) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<const OnlineUser*> SortedOnlineLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddWaitingLocked(Member* member) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the log entries every reader has read; called when all of them are waiting.
  void DropReadEntriesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveWaitingLocked(Member* member) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes a member: typing off, presence left on the user's last connection.
  void RemoveMemberLocked(uint64_t conn_id, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the log entries every member has read and the members that fell out of the
  // window. Runs only after TrimSlackLocked() bytes were appended, so its O(members) scan
  // is amortized over many appends.
  void MaybeTrimLocked(Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bytes appended between two trims: in proportion to the members the trim scans, up to
  // trim_slack_. A room of 100 keeps a few KB of read entries, not 64 KB (1,000 such rooms
  // held about 100 MB more during a join storm).
  uint64_t TrimSlackLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendTypingLocked(const Member& member, bool active, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleTypingExpiryLocked(Member* member) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireTyping(uint64_t conn_id);
  // Seam: assigns the next seq. A broker-backed room takes it from the broker instead.
  void SequenceLocked(chat::v1::ChatMessage* message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Seam: records a sequenced message in history and fans it out.
  void DeliverSequencedLocked(const chat::v1::ChatMessage& message, uint64_t origin,
                              Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PushHistoryLocked(const chat::v1::ChatMessage& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The message `sent` names: from history if it is still there, else rebuilt from `resent`
  // (the same user's same client_id) with the original seq and time.
  chat::v1::ChatMessage OriginalLocked(const SentLedger::Entry& sent,
                                       const chat::v1::ChatMessage& resent) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The message `resent`'s sender already sent here with its client_id (not empty), if any:
  // the ledger's, else, in a room that had stored messages when it was loaded, the store's
  // (only it knows the sends of an earlier process, or of this room before an eviction).
  absl::StatusOr<std::optional<chat::v1::ChatMessage>> FindSentLocked(
      const chat::v1::ChatMessage& resent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A shared room's: the ledger only (whatever it lacks, Redis's ledger is asked).
  std::optional<chat::v1::ChatMessage> FindSentSharedLocked(
      const chat::v1::ChatMessage& resent) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Remembers a sequenced message's client_id (if it has one) for its sender.
  void RecordSentLocked(const chat::v1::ChatMessage& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Shared room (room_replica.cc).
  absl::Status JoinSharedLocked(uint64_t conn_id, Subscriber* subscriber,
                                UserRef user, uint64_t after_seq,
                                const std::string& epoch, chat::v1::ServerEvent* welcome,
                                Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AnnounceLocked(const LocalUser& local, uint64_t conn_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes now if the replica is live, else holds the message until it is.
  absl::StatusOr<chat::v1::ChatMessage> PublishLocked(const chat::v1::ChatMessage& message,
                                                      uint64_t origin_conn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status PublishNowLocked(const chat::v1::ChatMessage& message, uint64_t origin_conn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes (live) or fails (`why`) the held messages.
  void ReleaseHeldPostsLocked(const absl::Status& why, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Leaves the shared presence when the user's last connection on this node goes.
  void ReleaseLocalUserLocked(const Member& member) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ReadyLocked(const LocalUser& local) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteJoinLocked(Member* member, chat::v1::ServerEvent* welcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompletePendingLocked(Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the pending joins of `user_id` (every pending join if empty).
  void FailPendingLocked(const std::string& user_id, const absl::Status& why,
                         Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasLiveMembersLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MergeHistoryLocked(const std::vector<chat::v1::ChatMessage>& messages)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Presence in big and small rooms (room_presence.cc).
  bool BigLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return members_.size() > coalesce_above_;
  }
  // Keeps the name index in step with online_.
  void IndexOnlineLocked(const UserRef& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    by_name_.Add(user);
  }
  void UnindexOnlineLocked(const chat::v1::User& user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    by_name_.Remove(user);
  }
  // A presence change, online_ already updated: in a big room it waits for the next tick;
  // in a small one a Presence with `joined` or `left` goes out now (`bytes` if not empty,
  // else built here), after any changes still waiting (the room just became small). The
  // connection `origin` does not get it.
  void PresenceChangedLocked(const UserRef& user, bool joined, grpc::Slice bytes,
                             uint64_t origin, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushPresenceLocked(Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PresenceTick();
  void ApplyEventLocked(const SharedEvent& shared, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The store's answer for one message (on the store's writer thread).
  void OnCommitted(const chat::v1::ChatMessage& message, uint64_t origin_conn,
                   const absl::Status& status, const CommitCallback& committed);
  void OnAnnounced(const std::string& user_id, uint64_t generation,
                   absl::StatusOr<uint64_t> online_from);
  void OnPublishFailed(uint64_t origin_conn, const std::string& client_id,
                       const absl::Status& why);
  void OnPublishDuplicate(uint64_t origin_conn, const chat::v1::ChatMessage& original);

  const std::string name_;
  const size_t history_size_;
  const size_t max_connections_;
  const size_t max_connections_per_user_;
  const uint64_t max_outbound_bytes_;
  const uint64_t trim_slack_;
  const absl::Duration typing_timeout_;
  const size_t coalesce_above_;
  const absl::Duration presence_interval_;
  const size_t page_size_;
  const size_t max_page_size_;
  Timer* const timer_;
  MessageStore* const store_;

  mutable chat::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::unique_ptr<Member>> members_ ABSL_GUARDED_BY(mu_);
  // The relays' feeds by reader; each carries members of members_.
  absl::flat_hash_map<Subscriber*, std::unique_ptr<Member>> feeds_ ABSL_GUARDED_BY(mu_);
  // By user id, a view into the entry's own User (no copy of the id per user).
  absl::flat_hash_map<absl::string_view, OnlineUser> online_ ABSL_GUARDED_BY(mu_);
  uint64_t next_online_order_ ABSL_GUARDED_BY(mu_) = 0;
  OnlineIndex by_name_ ABSL_GUARDED_BY(mu_);
  PresenceCoalescer coalescer_ ABSL_GUARDED_BY(mu_);
  bool tick_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Member*> waiting_ ABSL_GUARDED_BY(mu_);
  size_t fed_members_ ABSL_GUARDED_BY(mu_) = 0;  // members of members_ read by a feed
  std::deque<LogEntry> log_ ABSL_GUARDED_BY(mu_);
  uint64_t log_start_ ABSL_GUARDED_BY(mu_) = 0;    // absolute index of log_.front()
  uint64_t log_bytes_ ABSL_GUARDED_BY(mu_) = 0;    // bytes currently in log_
  uint64_t total_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // bytes ever appended
  uint64_t trim_at_bytes_ ABSL_GUARDED_BY(mu_);
  std::deque<chat::v1::ChatMessage> history_ ABSL_GUARDED_BY(mu_);
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;      // the last delivered seq
  uint64_t assigned_seq_ ABSL_GUARDED_BY(mu_) = 0;  // own authority: the last seq handed out
  size_t uncommitted_ ABSL_GUARDED_BY(mu_) = 0;     // messages the store has not answered yet
  // Names this run of the seq numbering (epoch.h); a shared room takes the broker's.
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  // The room's sends by user and client_id. A shared room's replica records every message
  // it applies (any node's) and asks Redis's ledger only for what it does not know: so a
  // resend reaching this node is found even after Redis lost its data.
  std::unique_ptr<SentLedger> sent_ ABSL_GUARDED_BY(mu_);
  // The store's last seq when the room was loaded (0: nothing stored before it): while it is
  // set, a client_id the ledger does not know is looked up in the store.
  uint64_t loaded_seq_ ABSL_GUARDED_BY(mu_) = 0;

  // Shared room only.
  std::unique_ptr<RoomLink> link_ ABSL_GUARDED_BY(mu_);
  bool live_ ABSL_GUARDED_BY(mu_) = false;  // holds a snapshot and follows the event stream
  uint64_t applied_order_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, LocalUser> local_users_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> pending_joins_ ABSL_GUARDED_BY(mu_);
  // Messages sent while the replica resyncs: published once it knows the room's state (its
  // seq above all), so a Redis that lost its data never hands out a seq twice.
  struct HeldPost {
    chat::v1::ChatMessage message;
    uint64_t origin_conn;
  };
  std::vector<HeldPost> held_posts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd
