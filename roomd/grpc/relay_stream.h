#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/mutex.h"
#include "roomd/grpc/chat_session.h"
#include "roomd/grpc/relay_codec.h"

namespace roomd {

class RelayRegistry;

// One Relay call (the gateway protocol): many ChatSessions multiplexed on one gRPC stream,
// each a session of its own with every rule of a Chat stream. The stream reads without
// pause and hands each session its events as it asks for them; it has one write in flight,
// which carries whatever every session has written since the last one, so a broadcast to
// a thousand of the bridge's browsers is one gRPC write, not a thousand.
//
// A room's events reach all the relay's sessions in that room through one Feed (Room::FeedKey):
// one cursor, one collect and one item naming the sessions, instead of one of each per
// session.
//
// Threading: mu_ guards the relay's state. Sessions call in with their own lock held
// (lock order: session, then relay), so the relay calls sessions only with mu_ released.
// Admission: with --relay_secret_file, a call without the secret in metadata
// chat-relay-secret ends UNAUTHENTICATED at once. Each session proves its participant with
// its own Join.token (--auth=jwt): the gateway's word is never taken for who someone is.
// Lifetime: reference-counted; gRPC's reference is released in OnDone, and a deferred
// read delivery on the timer thread holds one.
class RelayStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RelayStream(grpc::CallbackServerContext* context, const ServerOptions& options,
              RoomRegistry* rooms, SessionTracker* tracker, Timer* timer,
              RelayRegistry* registry, const auth::Authenticator* auth);

  // Server shutdown: once its sessions (ended by the tracker) are written out, the relay
  // ends UNAVAILABLE "server shutting down".
  void Shutdown();

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref();

  // Reactions.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  class Session;
  class Feed;
  // A reference to a feed (Subscriber::Ref), released with the hold.
  class FeedHold {
   public:
    FeedHold() = default;
    explicit FeedHold(Feed* feed);
    FeedHold(FeedHold&& other) noexcept;
    FeedHold& operator=(FeedHold&& other) noexcept;
    ~FeedHold();
    Feed* get() const { return feed_; }

   private:
    Feed* feed_ = nullptr;
  };
  struct Outgoing {
    std::shared_ptr<Session> session;  // none for a feed's item
    RelayDownItem item;
    bool from_feed = false;
    FeedHold feed;  // the last item of a feed's collect: the feed, told when it is written
  };
  // An item of the write in flight: whom to tell when it completes.
  struct Written {
    std::shared_ptr<Session> session;
    bool last;  // the session's done item
    FeedHold feed;
  };

  ~RelayStream() override = default;

  // The relay's input ended or its output broke: every session ends.
  void EndAllSessions();
  // Hands `session` the events it asked for, one OnRead at a time, with mu_ released.
  void Deliver(const std::shared_ptr<Session>& session);
  void DeliverLater(std::shared_ptr<Session> session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueLocked(Outgoing outgoing) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeStartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finishes the relay once nothing is left to say.
  void MaybeFinish();
  void FailRelay(const absl::Status& status);
  void AcquireConstruction() const { constructed_.load(std::memory_order_acquire); }

  const ServerOptions& options_;
  RoomRegistry* const rooms_;
  SessionTracker* const tracker_;
  Timer* const timer_;
  RelayRegistry* const registry_;
  const auth::Authenticator* const auth_;
  const std::string peer_;
  std::atomic<int> refs_{1};
  std::atomic<bool> constructed_{false};

  grpc::ByteBuffer in_;  // the read in flight (touched only by the read chain)

  chat::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  // The feed of each room the relay's sessions joined (kept until the relay ends).
  absl::flat_hash_map<const Room*, FeedHold> feeds_ ABSL_GUARDED_BY(mu_);
  uint64_t last_session_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Outgoing> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<Written> in_flight_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer out_ ABSL_GUARDED_BY(mu_);  // the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool input_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // nothing more can be written
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
};

// The live relays, so server shutdown can end them. Thread-safe.
class RelayRegistry {
 public:
  // False once shutting down: the relay must end at once.
  bool Add(RelayStream* relay);
  void Remove(RelayStream* relay);
  // Refuses new relays and shuts down the live ones.
  void ShutdownAll();
  size_t size() const;

 private:
  mutable chat::Mutex mu_;
  absl::flat_hash_set<RelayStream*> relays_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace roomd
