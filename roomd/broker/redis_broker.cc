#include "roomd/broker/redis_broker.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "roomd/core/logger.h"
#include "roomd/core/room.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/roomd_metrics.h"

namespace roomd {
namespace {

// Work the loop may have queued at once (messages, joins, typing) before new work is refused.
constexpr size_t kMaxQueuedTasks = 1 << 16;
// Events a syncing room buffers before it gives up and snapshots again.
constexpr size_t kMaxBufferedEvents = 1 << 16;
constexpr absl::Duration kMinBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
constexpr absl::Duration kMaxShutdownWait = absl::Seconds(2);
// Largest seq a request may name; stream ids are "<seq>-0" with 64-bit seqs.
constexpr uint64_t kMaxSeq = uint64_t{1} << 62;
constexpr int kMaxListedRooms = 10000;
constexpr char kRoomChannelPrefix[] = "chat:{";

absl::string_view ReplyString(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) {
    return {};
  }
  return absl::string_view(reply->str, reply->len);
}

// OK for a usable reply; UNAVAILABLE for a lost connection or an error reply.
absl::Status ReplyStatus(const redisReply* reply) {
  if (reply == nullptr) {
    return absl::UnavailableError(kBrokerUnavailable);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::UnavailableError(absl::StrCat(kBrokerUnavailable, ": ", ReplyString(reply)));
  }
  return absl::OkStatus();
}

bool ReplyUint(const redisReply* reply, uint64_t* out) {
  if (reply == nullptr) {
    return false;
  }
  if (reply->type == REDIS_REPLY_INTEGER) {
    if (reply->integer < 0) {
      return false;
    }
    *out = static_cast<uint64_t>(reply->integer);
    return true;
  }
  return reply->type == REDIS_REPLY_STRING && absl::SimpleAtoi(ReplyString(reply), out);
}

bool IsArray(const redisReply* reply, size_t min_elements) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements >= min_elements;
}

// Parses every element of an array reply as a `Message`; false if any is not one.
template <typename Message>
bool ParseAll(const redisReply* array, std::vector<Message>* out) {
  if (!IsArray(array, 0)) {
    return false;
  }
  for (size_t i = 0; i < array->elements; ++i) {
    absl::string_view bytes = ReplyString(array->element[i]);
    Message message;
    if (array->element[i]->type != REDIS_REPLY_STRING ||
        !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return false;
    }
    out->push_back(std::move(message));
  }
  return true;
}

absl::Status MalformedReply(absl::string_view what) {
  return absl::InternalError(absl::StrCat("malformed reply from the message broker (", what, ")"));
}

// kPost's reply {seq, duplicate, original}: `posted` (what was sent, seq unset) sequenced,
// or the original of a duplicate (from the log, else `posted` with the original seq).
absl::StatusOr<PostResult> ParsePostReply(const redisReply* reply,
                                          const chat::v1::ChatMessage& posted) {
  if (absl::Status status = ReplyStatus(reply); !status.ok()) {
    return status;
  }
  uint64_t seq = 0;
  uint64_t duplicate = 0;
  if (!IsArray(reply, 3) || !ReplyUint(reply->element[0], &seq) ||
      !ReplyUint(reply->element[1], &duplicate)) {
    return MalformedReply("post");
  }
  PostResult result{posted, duplicate != 0};
  result.message.set_seq(seq);
  const absl::string_view original = ReplyString(reply->element[2]);
  if (result.duplicate && !original.empty() &&
      !result.message.ParseFromArray(original.data(), static_cast<int>(original.size()))) {
    return MalformedReply("post original");
  }
  return result;
}

// kPost's arguments for `message` (seq unset).
std::vector<std::string> PostArgs(const std::string& room, const std::string& node,
                                  uint64_t origin_conn, const chat::v1::ChatMessage& message,
                                  size_t history_size, const SentLedgerLimits& ledger) {
  return {room,
          node,
          absl::StrCat(origin_conn),
          message.SerializeAsString(),
          absl::StrCat(history_size),
          message.from().id(),
          message.client_id(),
          absl::StrCat(ledger.keep_sends),
          absl::StrCat(absl::ToInt64Milliseconds(ledger.keep_for)),
          absl::StrCat(ledger.max_sends)};
}

}  // namespace

// ---------------------------------------------------------------- the room link

class RedisBroker::RedisRoomLink final : public RoomLink {
 public:
  RedisRoomLink(RedisBroker* broker, std::string room, uint64_t id)
      : broker_(broker), room_(std::move(room)), id_(id) {}

  ~RedisRoomLink() override {
    broker_->Queue([broker = broker_, room = room_, id = id_] { broker->Unfollow(room, id); },
                   /*bounded=*/false);
  }

  bool available() const override { return broker_->available(); }

  absl::Status PublishMessage(const chat::v1::ChatMessage& message, uint64_t origin_conn,
                              std::function<void(absl::StatusOr<PostResult>)> done) override {
    std::vector<std::string> args =
        PostArgs(room_, broker_->config_.node_id, origin_conn, message,
                 broker_->config_.history_size, broker_->config_.sent_ledger);
    return Submit([broker = broker_, args = std::move(args), message, done = std::move(done)] {
      if (broker->state_ != LinkState::kUp) {
        done(absl::UnavailableError(kBrokerUnavailable));
        return;
      }
      broker->RunScript(RedisScript::kPost, args, [message, done](redisReply* reply) {
        done(ParsePostReply(reply, message));
      });
    });
  }

  absl::Status AddPresence(const chat::v1::User& user, uint64_t origin_conn,
                           std::function<void(absl::StatusOr<uint64_t>)> done) override {
    std::vector<std::string> args = {room_, broker_->config_.node_id, absl::StrCat(origin_conn),
                                     user.id(), user.SerializeAsString()};
    return Submit([broker = broker_, args = std::move(args), done = std::move(done)] {
      if (broker->state_ != LinkState::kUp) {
        done(absl::UnavailableError(kBrokerUnavailable));
        return;
      }
      broker->RunScript(RedisScript::kPresenceAdd, args, [done](redisReply* reply) {
        uint64_t online_from = 0;
        if (absl::Status status = ReplyStatus(reply); !status.ok()) {
          done(status);
        } else if (!ReplyUint(reply, &online_from)) {
          done(MalformedReply("presence"));
        } else {
          done(online_from);
        }
      });
    });
  }

  void RemovePresence(const chat::v1::User& user, uint64_t origin_conn) override {
    std::vector<std::string> args = {room_, broker_->config_.node_id, absl::StrCat(origin_conn),
                                     user.id()};
    // Unbounded: a lost removal would leave the user online until this node goes away.
    broker_->Queue(
        [broker = broker_, args = std::move(args)] {
          if (broker->state_ == LinkState::kUp) {
            broker->RunScript(RedisScript::kPresenceRemove, args, [](redisReply*) {});
          }  // else the resync after reconnecting sets this node's users right
        },
        /*bounded=*/false);
  }

  void PublishTyping(const chat::v1::ServerEvent& notice, uint64_t origin_conn) override {
    std::vector<std::string> args = {
        "PUBLISH", RoomChannel(room_),
        EncodeEnvelope(0, broker_->config_.node_id, origin_conn, notice.SerializeAsString())};
    broker_->Queue(
        [broker = broker_, args = std::move(args)] {
          if (broker->state_ == LinkState::kUp) {
            broker->commands_.Command(args, [](redisReply*) {});
          }
        },
        /*bounded=*/true);  // typing is advisory: dropped when the broker is swamped
  }

 private:
  absl::Status Submit(std::function<void()> task) {
    if (!broker_->Queue(std::move(task), /*bounded=*/true)) {
      return absl::UnavailableError(absl::StrCat(kBrokerUnavailable, " (busy or stopped)"));
    }
    return absl::OkStatus();
  }

  RedisBroker* const broker_;
  const std::string room_;
  const uint64_t id_;
};

// ---------------------------------------------------------------- public side

RedisBroker::RedisBroker(Config config)
    : config_(std::move(config)),
      loop_(kMaxQueuedTasks),
      commands_(&loop_, RedisConnection::Handlers{
                            [this] { OnConnected(); },
                            [this](const std::string& why) { LinkLost(why); }, nullptr, nullptr}),
      subscriptions_(&loop_, RedisConnection::Handlers{
                                 [this] { OnConnected(); },
                                 [this](const std::string& why) { LinkLost(why); },
                                 [this](redisReply* reply) { OnPush(reply); },
                                 [this] { FlushReady(); }}) {}

RedisBroker::~RedisBroker() { Shutdown(); }

absl::Status RedisBroker::Start(RoomRegistry* rooms) {
  {
    chat::MutexLock lock(&mu_);
    if (started_) {
      return absl::FailedPreconditionError("broker already started");
    }
    started_ = true;
  }
  rooms_ = rooms;
  loop_.Start();
  Queue(
      [this] {
        Connect();
        Watchdog();
      },
      /*bounded=*/false);
  return absl::OkStatus();
}

void RedisBroker::Shutdown() {
  {
    chat::MutexLock lock(&mu_);
    if (shut_down_) {
      return;
    }
    shut_down_ = true;
    if (!started_) {
      return;
    }
  }
  const bool queued = Queue(
      [this] {
        stopping_ = true;
        if (state_ != LinkState::kUp) {
          FinishShutdown();
          return;
        }
        // A clean exit: this node's users leave every room now rather than at expiry.
        RunScript(RedisScript::kNodeClear, {config_.node_id, "1"},
                  [this](redisReply*) { FinishShutdown(); });
        loop_.RunAfter(std::min(config_.timeout, kMaxShutdownWait), [this] { FinishShutdown(); });
      },
      /*bounded=*/false);
  if (queued) {
    const absl::Time deadline = absl::Now() + kMaxShutdownWait + absl::Seconds(1);
    chat::MutexLock lock(&mu_);
    while (!stop_done_ && absl::Now() < deadline) {
      cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - absl::Now()));
    }
  }
  loop_.Stop();
}

bool RedisBroker::Queue(std::function<void()> task, bool bounded) {
  return loop_.Post(std::move(task), bounded);
}

std::unique_ptr<RoomLink> RedisBroker::Link(const std::shared_ptr<Room>& room) {
  const uint64_t id = next_link_id_.fetch_add(1, std::memory_order_relaxed);
  std::weak_ptr<Room> weak = room;
  Queue([this, name = room->name(), weak, id] { Follow(name, weak, id); }, /*bounded=*/false);
  return std::make_unique<RedisRoomLink>(this, room->name(), id);
}

void RedisBroker::Post(const std::string& room, const chat::v1::User& from,
                       const std::string& text, const std::string& client_id,
                       MessageCallback done) {
  chat::v1::ChatMessage message;
  message.set_room(room);
  *message.mutable_from() = from;
  message.set_text(text);
  message.set_client_id(client_id);
  *message.mutable_sent_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(absl::Now()));
  // A resend this node saw sequenced is answered from its replica's ledger, which outlives a
  // Redis that lost its data.
  std::shared_ptr<Room> local =
      rooms_ != nullptr && !client_id.empty() ? rooms_->Find(room) : nullptr;
  if (local != nullptr) {
    if (std::optional<chat::v1::ChatMessage> original = local->FindSent(message)) {
      RoomdMetrics::Get().messages->Inc();  // counted as Room::Post counts a resend
      done(PostResult{*std::move(original), /*duplicate=*/true});
      return;
    }
  }
  std::vector<std::string> args = PostArgs(room, config_.node_id, /*origin_conn=*/0, message,
                                           config_.history_size, config_.sent_ledger);
  const bool queued = Queue(
      [this, args = std::move(args), message, done] {
        if (state_ != LinkState::kUp) {
          done(absl::UnavailableError(kBrokerUnavailable));
          return;
        }
        RunScript(RedisScript::kPost, args, [message, done](redisReply* reply) {
          absl::StatusOr<PostResult> posted = ParsePostReply(reply, message);
          if (posted.ok()) {
            RoomdMetrics::Get().messages->Inc();  // a stream's sends count in Room::Post
          }
          done(std::move(posted));
        });
      },
      /*bounded=*/true);
  if (!queued) {
    done(absl::UnavailableError(kBrokerUnavailable));
  }
}

void RedisBroker::History(const std::string& room, uint64_t after_seq, uint64_t before_seq,
                          uint32_t limit, HistoryCallback done) {
  // A backward page reads the whole (capped) stream after after_seq and keeps the newest
  // `limit` below before_seq.
  std::vector<std::string> args = {room, absl::StrCat(std::min(after_seq, kMaxSeq) + 1, "-0"),
                                   absl::StrCat(before_seq != 0 ? 0 : limit)};
  const bool queued = Queue(
      [this, room, before_seq, limit, args = std::move(args), done] {
        if (state_ != LinkState::kUp) {
          done(absl::UnavailableError(kBrokerUnavailable));
          return;
        }
        RunScript(RedisScript::kHistory, args, [room, before_seq, limit, done](redisReply* reply) {
          if (absl::Status status = ReplyStatus(reply); !status.ok()) {
            done(status);
            return;
          }
          chat::v1::GetHistoryResponse response;
          response.set_room(room);
          uint64_t last_seq = 0;
          std::vector<chat::v1::ChatMessage> messages;
          if (!IsArray(reply, 2) || !ReplyUint(reply->element[0], &last_seq) ||
              !ParseAll(reply->element[1], &messages)) {
            done(MalformedReply("history"));
            return;
          }
          response.set_last_seq(last_seq);
          if (before_seq != 0) {
            std::erase_if(messages, [before_seq](const chat::v1::ChatMessage& message) {
              return message.seq() >= before_seq;
            });
            if (limit != 0 && messages.size() > limit) {
              messages.erase(messages.begin(), messages.end() - limit);
            }
          }
          for (chat::v1::ChatMessage& message : messages) {
            *response.add_messages() = std::move(message);
          }
          done(std::move(response));
        });
      },
      /*bounded=*/true);
  if (!queued) {
    done(absl::UnavailableError(kBrokerUnavailable));
  }
}

void RedisBroker::Presence(const std::string& room, PresenceCallback done) {
  const bool queued = Queue(
      [this, room, done] {
        if (state_ != LinkState::kUp) {
          done(absl::UnavailableError(kBrokerUnavailable));
          return;
        }
        RunScript(RedisScript::kOnline, {room}, [done](redisReply* reply) {
          std::vector<chat::v1::User> users;
          if (absl::Status status = ReplyStatus(reply); !status.ok()) {
            done(status);
          } else if (!ParseAll(reply, &users)) {
            done(MalformedReply("presence"));
          } else {
            done(std::move(users));
          }
        });
      },
      /*bounded=*/true);
  if (!queued) {
    done(absl::UnavailableError(kBrokerUnavailable));
  }
}

void RedisBroker::ListRooms(RoomsCallback done) {
  const bool queued = Queue(
      [this, done] {
        if (state_ != LinkState::kUp) {
          done(absl::UnavailableError(kBrokerUnavailable));
          return;
        }
        RunScript(RedisScript::kRooms, {absl::StrCat(kMaxListedRooms)}, [done](redisReply* reply) {
          if (absl::Status status = ReplyStatus(reply); !status.ok()) {
            done(status);
            return;
          }
          if (!IsArray(reply, 0) || reply->elements % 3 != 0) {
            done(MalformedReply("rooms"));
            return;
          }
          std::vector<chat::v1::RoomInfo> rooms;
          for (size_t i = 0; i < reply->elements; i += 3) {
            chat::v1::RoomInfo info;
            uint64_t online = 0;
            uint64_t last_seq = 0;
            if (!ReplyUint(reply->element[i + 1], &online) ||
                !ReplyUint(reply->element[i + 2], &last_seq)) {
              done(MalformedReply("rooms"));
              return;
            }
            info.set_name(std::string(ReplyString(reply->element[i])));
            info.set_online_count(static_cast<uint32_t>(online));
            info.set_last_seq(last_seq);
            rooms.push_back(std::move(info));
          }
          done(std::move(rooms));
        });
      },
      /*bounded=*/true);
  if (!queued) {
    done(absl::UnavailableError(kBrokerUnavailable));
  }
}

bool RedisBroker::WaitUntilAvailable(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  while (!available()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return false;
    }
    cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - now));
  }
  return true;
}

void RedisBroker::SetAvailable(bool available) {
  available_.store(available, std::memory_order_release);
  chat::MutexLock lock(&mu_);
  cv_.SignalAll();
}

// ---------------------------------------------------------------- the link to Redis

void RedisBroker::Connect() {
  state_ = LinkState::kConnecting;
  absl::Status status = commands_.Connect(config_.host, config_.port);
  if (status.ok()) {
    status = subscriptions_.Connect(config_.host, config_.port);
  }
  if (!status.ok()) {
    LinkLost(std::string(status.message()));
  }
}

void RedisBroker::OnConnected() {
  if (state_ == LinkState::kConnecting && commands_.connected() && subscriptions_.connected()) {
    LinkUp();
  }
}

void RedisBroker::LinkUp() {
  state_ = LinkState::kUp;
  first_heartbeat_ = true;
  pings_sent_ = 0;
  pings_seen_ = 0;
  ping_sent_at_ = absl::InfiniteFuture();
  const uint64_t generation = link_generation_;
  // Commands run in order on the connection: every EVALSHA below finds its script.
  for (RedisScript script : kAllRedisScripts) {
    commands_.Command({"SCRIPT", "LOAD", RedisScriptSource(script)},
                      [this, generation](redisReply* reply) {
                        if (reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
                            generation == link_generation_) {
                          LinkLost(absl::StrCat("redis refused roomd's scripts: ",
                                                ReplyString(reply)));
                        }
                      });
  }
  // Heartbeats start once this subscription is confirmed, so their first ping can come back.
  subscriptions_.SubscribeCommand({"SUBSCRIBE", PingChannel(config_.node_id)});
  // This node's presence left over from before (an earlier process with the same id, or
  // users who left while Redis was away) goes, except in the rooms followed now: their
  // resync below re-announces exactly who is here.
  std::vector<std::string> clear = {config_.node_id, "0"};
  for (const auto& [name, followed] : followed_) {
    clear.push_back(name);
  }
  RunScript(RedisScript::kNodeClear, std::move(clear), [](redisReply*) {});
  SetAvailable(true);
  for (auto& [name, followed] : followed_) {
    Subscribe(name, followed);
  }
}

void RedisBroker::LinkLost(const std::string& why) {
  if (state_ == LinkState::kDown) {
    return;
  }
  state_ = LinkState::kDown;
  ++link_generation_;
  SetAvailable(false);
  RoomdMetrics::Get().LinkDown();
  // Once per outage (and now and then while it lasts), not once per attempt.
  if (healthy_ || failed_attempts_ % 100 == 0) {
    Log("broker: redis %s:%d unavailable: %s; reconnecting", config_.host, config_.port, why);
  }
  healthy_ = false;
  ++failed_attempts_;
  // Waiting commands fail now (their callbacks answer UNAVAILABLE).
  commands_.Close();
  subscriptions_.Close();
  std::vector<std::shared_ptr<Room>> rooms;
  for (auto it = followed_.begin(); it != followed_.end();) {
    Followed& followed = it->second;
    if (followed.link_id == 0) {
      followed_.erase(it++);
      continue;
    }
    followed.sub = SubState::kNone;
    followed.live = false;
    followed.buffered.clear();
    followed.ready.clear();
    followed.sync_id = ++next_sync_id_;
    if (std::shared_ptr<Room> room = followed.room.lock()) {
      rooms.push_back(std::move(room));
    }
    ++it;
  }
  for (const std::shared_ptr<Room>& room : rooms) {
    room->OnLinkDown();
  }
  if (!stopping_) {
    ScheduleReconnect();
  }
}

void RedisBroker::ScheduleReconnect() {
  const uint64_t generation = link_generation_;
  loop_.RunAfter(backoff_, [this, generation] {
    if (generation == link_generation_ && state_ == LinkState::kDown && !stopping_) {
      Connect();
    }
  });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void RedisBroker::Heartbeat() {
  if (state_ != LinkState::kUp) {
    return;
  }
  const uint64_t generation = link_generation_;
  if (pings_seen_ >= pings_sent_) {
    ping_sent_at_ = absl::Now();
  }
  ++pings_sent_;
  RunScript(RedisScript::kHeartbeat,
            {config_.node_id, absl::StrCat(absl::ToInt64Milliseconds(config_.presence_expiry)),
             absl::StrCat(pings_sent_)},
            [this, generation](redisReply* reply) {
              if (reply == nullptr || generation != link_generation_) {
                return;
              }
              uint64_t added = 0;
              if (!ReplyStatus(reply).ok() || !ReplyUint(reply, &added)) {
                Log("broker: heartbeat failed: %s", ReplyString(reply));
                return;
              }
              if (!healthy_) {
                // Scripts loaded, node registered, pub/sub subscribed: the link works.
                healthy_ = true;
                failed_attempts_ = 0;
                backoff_ = kMinBackoff;
                RoomdMetrics::Get().broker_up->Set(1);
                Log("broker: connected to redis %s:%d as node %s", config_.host, config_.port,
                    config_.node_id);
              }
              if (added == 1 && !first_heartbeat_) {
                // Another node declared this one dead (no heartbeat within the expiry):
                // its users left every room; say again who is here.
                Log("broker: node %s had expired; announcing its users again", config_.node_id);
                for (auto& [name, followed] : followed_) {
                  std::shared_ptr<Room> room = followed.room.lock();
                  if (room != nullptr && followed.sub == SubState::kSubscribed) {
                    AnnounceLocalUsers(name, *room);
                  }
                }
              }
              first_heartbeat_ = false;
            });
  loop_.RunAfter(config_.heartbeat_interval, [this, generation] {
    if (generation == link_generation_) {
      Heartbeat();
    }
  });
}

void RedisBroker::Watchdog() {
  if (stopping_) {
    return;
  }
  const absl::Time now = absl::Now();
  if (state_ == LinkState::kConnecting &&
      now - std::min(commands_.connect_started(), subscriptions_.connect_started()) >
          config_.timeout) {
    LinkLost("connecting timed out");
  } else if (state_ == LinkState::kUp && now - commands_.oldest_pending() > config_.timeout) {
    LinkLost(absl::StrCat("no reply within ", absl::FormatDuration(config_.timeout)));
  } else if (state_ == LinkState::kUp && pings_seen_ < pings_sent_ &&
             now - ping_sent_at_ > config_.timeout) {
    LinkLost("the subscription stopped delivering");
  }
  loop_.RunAfter(std::clamp(config_.timeout / 4, absl::Milliseconds(10), absl::Milliseconds(250)),
                 [this] { Watchdog(); });
}

void RedisBroker::RunScript(RedisScript script, std::vector<std::string> args,
                            RedisConnection::ReplyCallback done) {
  std::vector<std::string> command = {"EVALSHA", RedisScriptSha(script), "0"};
  command.insert(command.end(), args.begin(), args.end());
  auto on_reply = [this, script, args = std::move(args), done](redisReply* reply) {
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
        absl::StartsWith(ReplyString(reply), "NOSCRIPT")) {
      std::vector<std::string> eval = {"EVAL", RedisScriptSource(script), "0"};
      eval.insert(eval.end(), args.begin(), args.end());
      if (!commands_.Command(eval, done)) {
        done(nullptr);
      }
      return;
    }
    done(reply);
  };
  if (!commands_.Command(command, on_reply)) {
    done(nullptr);
  }
}

void RedisBroker::FinishShutdown() {
  if (state_ != LinkState::kDown) {
    state_ = LinkState::kDown;
    ++link_generation_;
    SetAvailable(false);
    commands_.Close();
    subscriptions_.Close();
  }
  chat::MutexLock lock(&mu_);
  stop_done_ = true;
  cv_.SignalAll();
}

// ---------------------------------------------------------------- following rooms

void RedisBroker::Follow(const std::string& room, std::weak_ptr<Room> weak, uint64_t link_id) {
  Followed& followed = followed_[room];
  followed.room = std::move(weak);
  followed.link_id = link_id;
  followed.live = false;
  followed.buffered.clear();
  followed.sync_id = ++next_sync_id_;
  if (state_ != LinkState::kUp) {
    return;  // LinkUp subscribes
  }
  switch (followed.sub) {
    case SubState::kNone:
      Subscribe(room, followed);
      break;
    case SubState::kSubscribed:
      Resync(room, followed, /*announce=*/true);
      break;
    case SubState::kSubscribing:
    case SubState::kUnsubscribing:
      break;  // the acknowledgement on its way carries on
  }
}

void RedisBroker::Unfollow(const std::string& room, uint64_t link_id) {
  auto it = followed_.find(room);
  if (it == followed_.end() || it->second.link_id != link_id) {
    return;  // a newer room of that name follows it now
  }
  Followed& followed = it->second;
  followed.link_id = 0;
  followed.room.reset();
  followed.live = false;
  followed.buffered.clear();
  followed.sync_id = ++next_sync_id_;
  if (followed.sub == SubState::kSubscribed && state_ == LinkState::kUp) {
    subscriptions_.SubscribeCommand({"UNSUBSCRIBE", RoomChannel(room)});
    followed.sub = SubState::kUnsubscribing;
  } else if (followed.sub == SubState::kNone) {
    followed_.erase(it);
  }
}

void RedisBroker::Subscribe(const std::string& room, Followed& followed) {
  if (subscriptions_.SubscribeCommand({"SUBSCRIBE", RoomChannel(room)})) {
    followed.sub = SubState::kSubscribing;
  }
}

void RedisBroker::OnPush(redisReply* reply) {
  if (!IsArray(reply, 3)) {
    return;
  }
  const absl::string_view kind = ReplyString(reply->element[0]);
  const absl::string_view channel = ReplyString(reply->element[1]);
  if (channel == PingChannel(config_.node_id)) {
    uint64_t ping = 0;
    if (kind == "subscribe") {
      Heartbeat();  // registers this node, and goes on every heartbeat interval
    } else if (kind == "message" && ReplyUint(reply->element[2], &ping)) {
      pings_seen_ = std::max(pings_seen_, ping);
      ping_sent_at_ = pings_seen_ >= pings_sent_ ? absl::InfiniteFuture() : absl::Now();
    }
    return;
  }
  if (!absl::StartsWith(channel, kRoomChannelPrefix) || !absl::EndsWith(channel, "}")) {
    return;
  }
  const std::string room(channel.substr(sizeof(kRoomChannelPrefix) - 1,
                                        channel.size() - sizeof(kRoomChannelPrefix)));
  auto it = followed_.find(room);
  if (it == followed_.end()) {
    return;
  }
  Followed& followed = it->second;
  if (kind == "subscribe") {
    followed.sub = SubState::kSubscribed;
    if (followed.link_id == 0) {
      subscriptions_.SubscribeCommand({"UNSUBSCRIBE", RoomChannel(room)});
      followed.sub = SubState::kUnsubscribing;
    } else {
      Resync(room, followed, /*announce=*/true);
    }
  } else if (kind == "unsubscribe") {
    followed.sub = SubState::kNone;
    if (followed.link_id != 0) {
      Subscribe(room, followed);
    } else {
      followed_.erase(it);
    }
  } else if (kind == "message" && followed.link_id != 0) {
    absl::StatusOr<BrokerEnvelope> envelope = DecodeEnvelope(ReplyString(reply->element[2]));
    if (!envelope.ok()) {
      Log("broker: room %s: %s", room, envelope.status().ToString());
      return;
    }
    OnEnvelope(room, followed, *std::move(envelope));
  }
}

void RedisBroker::Resync(const std::string& room, Followed& followed, bool announce) {
  std::shared_ptr<Room> local = followed.room.lock();
  if (local == nullptr) {
    return;  // being dropped; Unfollow is queued
  }
  followed.live = false;
  followed.buffered.clear();
  followed.sync_id = ++next_sync_id_;
  if (announce) {
    AnnounceLocalUsers(room, *local);
  }
  RunScript(RedisScript::kSnapshot,
            // The epoch this replica holds names the numbering if Redis has none: a Redis
            // that lost its data while the node kept the seqs keeps the epoch too.
            {room, absl::StrCat(local->last_seq()), absl::StrCat(config_.history_size),
             local->epoch()},
            [this, room, sync_id = followed.sync_id](redisReply* reply) {
              OnSnapshot(room, sync_id, reply);
            });
}

void RedisBroker::AnnounceLocalUsers(const std::string& room, Room& local) {
  std::vector<std::string> args = {room, config_.node_id};
  for (const chat::v1::User& user : local.LocalUsers()) {
    args.push_back(user.id());
    args.push_back(user.SerializeAsString());
  }
  RunScript(RedisScript::kPresenceSync, std::move(args), [room](redisReply* reply) {
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
      Log("broker: room %s: announcing presence failed: %s", room, ReplyString(reply));
    }
  });
}

void RedisBroker::OnSnapshot(const std::string& room, uint64_t sync_id, redisReply* reply) {
  auto it = followed_.find(room);
  if (it == followed_.end() || it->second.sync_id != sync_id || reply == nullptr) {
    return;  // superseded, or the link is gone (its loss resyncs every room)
  }
  RoomSnapshot snapshot;
  if (!ReplyStatus(reply).ok() || !IsArray(reply, 5) ||
      !ReplyUint(reply->element[0], &snapshot.event_order) ||
      !ReplyUint(reply->element[1], &snapshot.last_seq) ||
      !ParseAll(reply->element[2], &snapshot.history) ||
      !ParseAll(reply->element[3], &snapshot.online) ||
      reply->element[4]->type != REDIS_REPLY_STRING) {
    LinkLost(absl::StrCat("bad snapshot of room ", room, ": ", ReplyString(reply)));
    return;
  }
  snapshot.epoch = std::string(ReplyString(reply->element[4]));
  Followed& followed = it->second;
  std::shared_ptr<Room> local = followed.room.lock();
  if (local == nullptr) {
    return;
  }
  local->ApplySnapshot(snapshot);
  followed.live = true;
  followed.order = snapshot.event_order;
  std::vector<BrokerEnvelope> buffered;
  buffered.swap(followed.buffered);
  for (BrokerEnvelope& envelope : buffered) {
    OnEnvelope(room, followed, std::move(envelope));
  }
  FlushReady();
}

void RedisBroker::OnEnvelope(const std::string& room, Followed& followed,
                             BrokerEnvelope envelope) {
  if (!followed.live) {
    if (followed.buffered.size() < kMaxBufferedEvents) {
      followed.buffered.push_back(std::move(envelope));
    } else {
      Resync(room, followed, /*announce=*/false);
    }
    return;
  }
  if (envelope.order != 0) {
    if (envelope.order <= followed.order) {
      return;  // already in the snapshot
    }
    if (envelope.order != followed.order + 1) {
      Log("broker: room %s missed events %d to %d; resyncing", room, followed.order + 1,
          envelope.order - 1);
      RoomdMetrics::Get().broker_resyncs->Inc();
      Resync(room, followed, /*announce=*/false);
      followed.buffered.push_back(std::move(envelope));
      return;
    }
    followed.order = envelope.order;
  }
  Stage(room, followed, envelope);
}

void RedisBroker::Stage(const std::string& room, Followed& followed,
                        const BrokerEnvelope& envelope) {
  Room::SharedEvent shared;
  if (!shared.event.ParseFromString(envelope.event)) {
    Log("broker: room %s: an event that is not a chat.v1.ServerEvent was ignored", room);
    return;
  }
  shared.order = envelope.order;
  shared.bytes = grpc::Slice(envelope.event.data(), envelope.event.size());
  shared.origin_conn = envelope.node == config_.node_id ? envelope.conn : 0;
  if (followed.ready.empty()) {
    rooms_with_ready_events_.push_back(room);
  }
  followed.ready.push_back(std::move(shared));
}

void RedisBroker::FlushReady() {
  std::vector<std::string> rooms;
  rooms.swap(rooms_with_ready_events_);
  for (const std::string& room : rooms) {
    auto it = followed_.find(room);
    if (it == followed_.end()) {
      continue;
    }
    std::vector<Room::SharedEvent> events;
    events.swap(it->second.ready);
    if (std::shared_ptr<Room> local = it->second.room.lock(); local != nullptr && !events.empty()) {
      local->ApplyEvents(events);
    }
  }
}

}  // namespace roomd
