#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "roomd/core/room.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "roomd/core/token_bucket.h"
#include "roomd/grpc/session_tracker.h"
#include "roomd/grpc/session_transport.h"

namespace roomd {

// One participant's session (raw bytes both ways): parses ClientEvents itself, joins one
// room, and writes the room's pre-serialized events with exactly one write in flight, built
// from its private queue (Welcome, Error) and then its room-log cursor. Its transport is a
// Chat stream of its own (ChatStream) or one session of a Relay stream (RelayStream); the
// rules below are the same on both.
//
// Protocol decisions (for the docs):
// - The first event must be `join`; anything else ends the stream INVALID_ARGUMENT "first
//   event must be join". A bad room name or email also ends it INVALID_ARGUMENT; a full room
//   or server ends it RESOURCE_EXHAUSTED.
// - A second `join` gets Error{FAILED_PRECONDITION} and the stream stays in its room (one
//   stream is one room; open another stream for another room).
// - `send` problems (empty, too long, bad UTF-8, rate limited) get Error{code, client_id};
//   the stream stays. A malformed ClientEvent (bytes that do not parse, which includes
//   invalid UTF-8 in any string) ends the stream INVALID_ARGUMENT.
// - An event with no known field set (e.g. from a newer client) gets Error{INVALID_ARGUMENT}.
// - `leave` and the client half-closing both leave the room and end the stream OK.
// - With a shared broker the Welcome may come later (the room is syncing with the broker):
//   nothing more is read until it does, so events sent right after `join` wait their turn.
//   A broker that cannot be reached ends the join UNAVAILABLE "message broker unavailable",
//   and a send it fails gets Error{UNAVAILABLE, client_id}.
// - No `join` within --join_timeout of the stream's start ends it DEADLINE_EXCEEDED, so a
//   client that opens streams and stays silent cannot hold connection slots.
// - Typing over the rate limit is dropped silently (it is advisory).
//
// Lifetime: reference-counted. The transport holds one reference from construction until
// OnDone, which releases it; rooms and the tracker take one while they notify it outside
// their locks, and the join deadline holds one until it fires or the timer stops; the last
// Unref deletes it. The session uses `transport` only until it has called Finish.
class ChatSession final : public Subscriber {
 public:
  ChatSession(SessionTransport* transport, std::string peer, const ServerOptions& options,
              RoomRegistry* rooms, SessionTracker* tracker, Timer* timer);

  // Admits the session (or finishes it at once) and asks for its first event.
  void Start();

  // Subscriber.
  void Ref() override;
  void Unref() override;
  void OnEventsAvailable() override;
  void OnDropped(const absl::Status& why) override;
  void OnJoined(const absl::StatusOr<chat::v1::ServerEvent>& welcome) override;
  void OnSendFailed(const absl::Status& why, const std::string& client_id) override;

  // Server shutdown: ends the stream with UNAVAILABLE "server shutting down".
  void Shutdown();

  // The transport's answers, each on a call stack of its own.
  // One client event (consumed), or nullptr when the client half-closed or went away (a
  // leave).
  void OnRead(grpc::ByteBuffer* event);
  void OnWriteDone(bool ok);
  // The client cancelled: only a joining session, which reads nothing, needs telling.
  void OnCancel();
  // The last call: the transport is gone and its reference with it.
  void OnDone();

 private:
  enum class State { kAwaitingJoin, kJoining, kJoined, kFinished };
  struct PrivateEvent {
    grpc::Slice bytes;
    bool counted;  // counts toward the outbound limit (Welcome does not)
  };

  ~ChatSession() override = default;

  // Timer callback: ends the stream if it still has not joined.
  void OnJoinDeadline();

  void HandleEventLocked(const chat::v1::ClientEvent& event, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleJoinLocked(const chat::v1::Join& join, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleSendLocked(const chat::v1::Send& send, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleTypingLocked(const chat::v1::Typing& typing, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues Error{status, client_id}; the stream stays open.
  void SendErrorLocked(const absl::Status& status, absl::string_view client_id,
                       Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnqueuePrivateLocked(const chat::v1::ServerEvent& event, bool counted,
                            Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the next write if none is in flight and there is something to send.
  void MaybeStartWriteLocked(Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the session once: leaves the room and finishes the transport (with `abort`, at once
  // even when a write is stuck behind flow control: a client that stopped reading).
  void FinishLocked(const absl::Status& status, bool abort, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FinishLocked's bookkeeping without the transport; false if the session had ended.
  bool EndLocked(const absl::Status& status, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string DescribeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SessionTransport* const transport_;
  const ServerOptions& options_;
  RoomRegistry* const rooms_;
  SessionTracker* const tracker_;
  const uint64_t conn_id_;
  const std::string peer_;
  Timer* const timer_;
  std::atomic<int> refs_{1};

  chat::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kAwaitingJoin;
  std::shared_ptr<Room> room_ ABSL_GUARDED_BY(mu_);
  chat::v1::User user_ ABSL_GUARDED_BY(mu_);
  TokenBucket send_bucket_ ABSL_GUARDED_BY(mu_);
  TokenBucket typing_bucket_ ABSL_GUARDED_BY(mu_);
  bool rate_limit_logged_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<PrivateEvent> private_ ABSL_GUARDED_BY(mu_);
  size_t private_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd
