#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "common/ring_deque.h"
#include "roomd/auth/authenticator.h"
#include "roomd/core/room.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "roomd/core/token_bucket.h"
#include "roomd/core/user_ref.h"
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
// - --auth=jwt: the join's token (Join.token, else the stream's `authorization` metadata)
//   must verify, or the stream ends UNAUTHENTICATED with the reason; a room outside its
//   `rooms` ends it PERMISSION_DENIED. When the token expires (exp + leeway) the stream
//   ends UNAUTHENTICATED "token expired", unless a `refresh` brought a valid token of the
//   same `sub` first. A refresh that does not verify gets Error{UNAUTHENTICATED} and the
//   old token keeps its expiry; one that no longer allows the room ends the stream
//   PERMISSION_DENIED.
// - `presence_page` is answered with ServerEvent.presence_page, ahead of the room's backlog
//   (a page reflects the room as it is now; the backlog's presence changes applied after it
//   leave the list exact); a session fed by its relay gets it, like its other private
//   events, in log order. A bad token, or more requests than the send rate, gets Error.
// - A send whose client_id this user already had sequenced in the room posts nothing: this
//   client alone gets the original message again (its seq, its time) as the echo.
// - Each ServerEvent carries one event unless the Join set accept_batches (or the transport
//   is a Relay): a pass's events then go out as consecutive writes, one per event, each but
//   the last with gRPC's buffer hint, so the pass leaves in one flush (unless a hinted write
//   comes back slowly: the connection is busy, and the rest of the pass goes unhinted).
//
// Lifetime: reference-counted. The transport holds one reference from construction until
// OnDone, which releases it; rooms and the tracker take one while they notify it outside
// their locks, and the join deadline holds one until it fires or the timer stops; the last
// Unref deletes it. The session uses `transport` only until it has called Finish.
class ChatSession final : public Subscriber {
 public:
  // `metadata_token`: the bearer token of the call's metadata ("" for relay sessions,
  // whose call belongs to the gateway, not to the participant).
  ChatSession(SessionTransport* transport, std::string peer, const ServerOptions& options,
              RoomRegistry* rooms, SessionTracker* tracker, Timer* timer,
              const auth::Authenticator* auth, std::string metadata_token);

  // Admits the session (or finishes it at once) and asks for its first event.
  void Start();

  // Subscriber.
  void Ref() override;
  void Unref() override;
  void OnEventsAvailable() override;
  void OnDropped(const absl::Status& why) override;
  void OnJoined(const absl::StatusOr<chat::v1::ServerEvent>& welcome) override;
  void OnSendFailed(const absl::Status& why, const std::string& client_id) override;
  void OnSendDuplicate(const chat::v1::ChatMessage& original) override;

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
  // Timer callback: ends the stream if its token has expired, or waits for the refreshed
  // token's expiry.
  void OnTokenDeadline();

  // --auth=jwt: the User the join's token proves, after checking the room.
  absl::StatusOr<chat::v1::User> AuthenticateJoinLocked(const chat::v1::Join& join)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleRefreshLocked(const chat::v1::Refresh& refresh, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Schedules OnTokenDeadline at token_deadline_ (one pending at a time).
  void ArmTokenDeadlineLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void HandleEventLocked(const chat::v1::ClientEvent& event, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleJoinLocked(const chat::v1::Join& join, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleSendLocked(const chat::v1::Send& send, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleTypingLocked(const chat::v1::Typing& typing, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandlePresencePageLocked(const chat::v1::PresencePageRequest& request,
                                Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A resend of a message already sequenced: its original echo, to this client only.
  void SendEchoLocked(const chat::v1::ChatMessage& original, Notifications* notes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Scrollback: answers with ServerEvent.history_page, or an Error.
  void HandleHistoryPageLocked(const chat::v1::HistoryPageRequest& request,
                               Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues Error{status, client_id}; the stream stays open.
  void SendErrorLocked(const absl::Status& status, absl::string_view client_id,
                       Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnqueuePrivateLocked(const chat::v1::ServerEvent& event, bool counted,
                            Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the next write if none is in flight and there is something to send.
  void MaybeStartWriteLocked(Notifications* notes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the next of unbatched_ (not empty) as a ServerEvent of its own.
  void WriteNextUnbatchedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  const auth::Authenticator* const auth_;
  const std::string metadata_token_;
  std::atomic<int> refs_{1};
  const absl::Time started_ = absl::Now();  // for the disconnect line's duration

  chat::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kAwaitingJoin;
  ConnectionKind kind_ ABSL_GUARDED_BY(mu_) = ConnectionKind::kChatStream;
  std::shared_ptr<Room> room_ ABSL_GUARDED_BY(mu_);
  UserRef user_ ABSL_GUARDED_BY(mu_);  // set with room_, shared with the room
  TokenBucket send_bucket_ ABSL_GUARDED_BY(mu_);
  TokenBucket typing_bucket_ ABSL_GUARDED_BY(mu_);
  TokenBucket page_bucket_ ABSL_GUARDED_BY(mu_);
  bool rate_limit_logged_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The room's events reach the client through its transport's feed (Room::FeedKey), not
  // through this session's writes: it writes only its private queue.
  bool fed_ ABSL_GUARDED_BY(mu_) = false;
  // Join.accept_batches (or a Relay): a pass is one write; else one write per event, and
  // the rest of the pass waits here (at most max_batch_events).
  bool batches_ ABSL_GUARDED_BY(mu_) = false;
  chat::RingDeque<grpc::Slice> unbatched_ ABSL_GUARDED_BY(mu_);
  // Whether the rest of unbatched_ may be written with buffer hints (set for each pass, and
  // cleared by a slow hinted write), and when the hinted write in flight started
  // (InfinitePast: the write in flight, if any, has no hint).
  bool hinting_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time hinted_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  chat::RingDeque<PrivateEvent> private_ ABSL_GUARDED_BY(mu_);
  size_t private_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);
  // --auth=jwt: whose session this is, and when its token stops counting (exp + leeway).
  std::string subject_ ABSL_GUARDED_BY(mu_);
  absl::Time token_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool token_deadline_armed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace roomd
