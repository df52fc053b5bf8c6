#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "roomd/broker/broker.h"
#include "roomd/broker/broker_envelope.h"
#include "roomd/broker/redis_connection.h"
#include "roomd/broker/redis_loop.h"
#include "roomd/broker/redis_scripts.h"
#include "roomd/core/room.h"
#include "roomd/core/sent_ledger.h"

namespace roomd {

// Rooms shared by several roomd nodes through one Redis (--broker=redis://host:port).
//
// - Messages: a Lua script takes the room's next seq, appends the message to the room's
//   capped stream and publishes it on the room's channel, atomically; every node subscribed
//   to the channel delivers it to its members, so all see one gap-free seq order.
// - Presence: per room, which nodes hold which users; a user joins when the first node
//   announces them and leaves with the last. Nodes heartbeat into a sorted set with a
//   deadline; any node's heartbeat takes the users of a node past its deadline out.
// - Each room on this node follows the shared room: subscribe first, then read a snapshot
//   (history, online, event order) and apply the events that arrived meanwhile only past
//   it; an event that skips the order means one was missed: snapshot again.
// - Redis unreachable: available() is false, sends fail UNAVAILABLE, joins are refused.
//   The broker reconnects with backoff, reloads its scripts, re-announces this node's users
//   and resyncs every room.
//
// Two connections (commands; subscriptions) live on one RedisLoop thread; every public
// method only queues work there. Lifetime: owned by the server; Shutdown() before the
// destructor; room links must not outlive it.
class RedisBroker final : public Broker {
 public:
  struct Config {
    std::string host;
    int port = 6379;
    std::string node_id;
    size_t history_size = 100;
    SentLedgerLimits sent_ledger;
    absl::Duration presence_expiry = absl::Seconds(30);
    absl::Duration heartbeat_interval = absl::Seconds(5);
    absl::Duration timeout = absl::Seconds(5);
  };

  explicit RedisBroker(Config config);
  ~RedisBroker() override;

  absl::Status Start(RoomRegistry* rooms) override;
  void Shutdown() override;
  std::unique_ptr<RoomLink> Link(const std::shared_ptr<Room>& room) override;
  void Post(const std::string& room, const chat::v1::User& from, const std::string& text,
            const std::string& client_id, MessageCallback done) override;
  void History(const std::string& room, uint64_t after_seq, uint64_t before_seq,
               uint32_t limit, HistoryCallback done) override;
  void Presence(const std::string& room, PresenceCallback done) override;
  void ListRooms(RoomsCallback done) override;
  bool WaitUntilAvailable(absl::Duration timeout) override;

  bool available() const { return available_.load(std::memory_order_acquire); }

 private:
  class RedisRoomLink;
  friend class RedisRoomLink;

  enum class LinkState { kDown, kConnecting, kUp };
  enum class SubState { kNone, kSubscribing, kSubscribed, kUnsubscribing };
  // A room this node follows (loop thread only).
  struct Followed {
    std::weak_ptr<Room> room;
    uint64_t link_id = 0;  // the RoomLink that wants it; 0: nobody any more
    SubState sub = SubState::kNone;
    bool live = false;          // the room holds a snapshot; events apply as they come
    uint64_t sync_id = 0;       // tells the current snapshot request from older ones
    uint64_t order = 0;         // last event order applied
    std::vector<BrokerEnvelope> buffered;  // events that came while syncing
    std::vector<Room::SharedEvent> ready;  // in order, applied at the end of the read
  };

  // Queues `task` for the loop; false when the loop is stopped or (bounded) too busy.
  bool Queue(std::function<void()> task, bool bounded);

  // Loop thread only, from here on.
  void Connect();
  void OnConnected();
  void LinkUp();
  void LinkLost(const std::string& why);
  void ScheduleReconnect();
  void Heartbeat();
  void Watchdog();
  void SetAvailable(bool available);
  // EVALSHA, falling back to EVAL when Redis lost the script (e.g. SCRIPT FLUSH).
  void RunScript(RedisScript script, std::vector<std::string> args,
                 RedisConnection::ReplyCallback done);

  void Follow(const std::string& room, std::weak_ptr<Room> weak, uint64_t link_id);
  void Unfollow(const std::string& room, uint64_t link_id);
  void Subscribe(const std::string& room, Followed& followed);
  void OnPush(redisReply* reply);
  // Re-announces the room's local users (optional), then asks for a snapshot.
  void Resync(const std::string& room, Followed& followed, bool announce);
  void AnnounceLocalUsers(const std::string& room, Room& local);
  void OnSnapshot(const std::string& room, uint64_t sync_id, redisReply* reply);
  void OnEnvelope(const std::string& room, Followed& followed, BrokerEnvelope envelope);
  // Queues an in-order event for the room; FlushReady applies a read's worth at once.
  void Stage(const std::string& room, Followed& followed, const BrokerEnvelope& envelope);
  void FlushReady();
  void FinishShutdown();

  const Config config_;
  RoomRegistry* rooms_ = nullptr;  // set by Start, before any call; this node's rooms
  RedisLoop loop_;
  std::atomic<bool> available_{false};
  std::atomic<uint64_t> next_link_id_{1};

  chat::Mutex mu_;
  chat::CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_done_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  RedisConnection commands_;
  RedisConnection subscriptions_;
  LinkState state_ = LinkState::kDown;
  uint64_t link_generation_ = 0;  // bumps on every link loss; stale timers check it
  absl::Duration backoff_ = absl::Milliseconds(50);
  bool stopping_ = false;
  bool first_heartbeat_ = true;
  bool healthy_ = false;          // a heartbeat went through on this link
  uint64_t failed_attempts_ = 0;  // links lost since the last healthy one
  uint64_t pings_sent_ = 0;
  uint64_t pings_seen_ = 0;
  absl::Time ping_sent_at_ = absl::InfiniteFuture();
  uint64_t next_sync_id_ = 0;
  absl::flat_hash_map<std::string, Followed> followed_;
  std::vector<std::string> rooms_with_ready_events_;
};

}  // namespace roomd
