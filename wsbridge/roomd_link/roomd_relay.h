#pragma once

// One gRPC Relay call to roomd carrying many browsers' sessions (chat.v1 RelayUp /
// RelayDown), so a browser costs neither side a gRPC call of its own and a broadcast to the
// bridge's browsers arrives as one gRPC read rather than one per browser. Each session is
// a RoomdStream that behaves as a Chat call would: same events, same final status.
//
// Writes from all sessions share one write in flight, coalesced into one RelayUp frame of
// bounded size; each session still has its own bounded queue (kQueueFull / OnRoomdWritable).
// Lifetime: shared; it holds itself from Start() until OnDone(). Its sessions hold it too,
// and it holds its live sessions until they end (at the latest in OnDone).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "wsbridge/codec/encoded_event_cache.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_stream.h"
#include "wsbridge/roomd_link/roomd_stream_observer.h"

namespace wsbridge {

class RoomdRelay final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                         public std::enable_shared_from_this<RoomdRelay> {
 public:
  static constexpr char kRelayMethod[] = "/chat.v1.ChatService/Relay";
  // A ClientEvent larger than this is not sent (roomd accepts frames of at least 64 KiB).
  static constexpr std::size_t kMaxEventBytes = 60 * 1024;

  // `codec`, `cache` and `live` outlive the relay.
  RoomdRelay(const JsonCodec* codec, EncodedEventCache* cache, std::size_t max_queued,
             LiveSet<RoomdRelay>* live);

  // Starts the call. Never waits for a connection: an unreachable roomd ends it at once.
  // A non-empty `relay_secret` goes in metadata chat-relay-secret (roomd
  // --relay_secret_file).
  void Start(grpc::GenericStub* stub, const std::string& relay_secret);

  // A new session, or nullptr once the relay is over (open it on a new relay).
  std::shared_ptr<RoomdStream> Open(std::weak_ptr<RoomdStreamObserver> observer);

  // Any thread. Ends the call; every session ends with it.
  void Cancel();

  bool over() const;

  // Reactions: they never block.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  class Session;
  struct Item {
    uint64_t session;
    std::string bytes;  // one serialized RelayUp.items element, tag included
    bool counted;       // an event (counts toward the session's queue), not close/cancel
  };

  enum class ItemKind { kEvent, kClose, kCancel };
  // Queues one of the session's items (`event`: a serialized ClientEvent, for kEvent).
  RoomdStream::WriteResult Send(Session* session, ItemKind kind, absl::string_view event);
  void QueueLocked(Session* session, ItemKind kind, absl::string_view event,
                   RoomdStream::WriteResult* result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The session is over on the bridge's side (cancelled): forget it.
  void Forget(Session* session);
  // Starts the next write if none is in flight; returns true if the caller must StartWrite.
  bool TakeNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeHold() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(absl::string_view frame);

  LiveSet<RoomdRelay>::Membership membership_;  // first: it is destroyed last
  const JsonCodec* const codec_;
  EncodedEventCache* const cache_;
  const std::size_t max_queued_;
  LiveSet<RoomdRelay>* const live_;

  grpc::ClientContext context_;
  grpc::ByteBuffer read_buffer_;   // touched only by the read chain
  grpc::ByteBuffer write_buffer_;  // touched only by whoever set write_in_flight_

  mutable chat::Mutex mu_;
  // Every session still open; those that have sent something also by their id.
  absl::flat_hash_map<Session*, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::shared_ptr<Session>> ids_ ABSL_GUARDED_BY(mu_);
  uint64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> in_flight_ ABSL_GUARDED_BY(mu_);  // counted items' sessions
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool over_ ABSL_GUARDED_BY(mu_) = false;  // the call ended or is ending
  bool holding_ ABSL_GUARDED_BY(mu_) = false;

  std::shared_ptr<RoomdRelay> self_;  // set in Start(), dropped in OnDone()
};

}  // namespace wsbridge
