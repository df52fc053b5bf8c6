#pragma once

// One browser's own gRPC Chat stream to roomd (a raw client bidi reactor: ServerEvents stay
// bytes, are split without a full parse, and their JSON comes from the shared cache).
// Lifetime: shared; it holds itself from Start() until OnDone(), the call's last reaction,
// so its owner may call it at any time, even after the call has ended.

#include <cstddef>
#include <deque>
#include <memory>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/grpcpp.h>

#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "wsbridge/codec/encoded_event_cache.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_stream.h"
#include "wsbridge/roomd_link/roomd_stream_observer.h"

namespace wsbridge {

class RoomdChatStream final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
      public RoomdStream,
      public std::enable_shared_from_this<RoomdChatStream> {
 public:
  static constexpr char kChatMethod[] = "/chat.v1.ChatService/Chat";

  // `live` tracks the stream until it is destroyed; `codec`, `cache` and `live` outlive it.
  RoomdChatStream(const JsonCodec* codec, EncodedEventCache* cache, std::size_t max_queued,
                  std::weak_ptr<RoomdStreamObserver> observer, LiveSet<RoomdChatStream>* live);

  // Starts the call. Never waits for a connection: an unreachable roomd ends it at once.
  void Start(grpc::GenericStub* stub);

  // Any thread. Queues one event; exactly one write is in flight at a time.
  WriteResult Write(chat::v1::ClientEvent event) override;

  // Any thread. Sends what is queued, then half-closes, so roomd ends the stream.
  void CloseWrites() override;

  // Any thread. Cancels the call; roomd sees the participant leave.
  void Cancel() override;

  // Reactions: they never block.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Takes the hold that lets writes come from outside the reactions, if still held.
  bool TakeHold() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Serializes `event` into write_buffer_ and starts its write.
  void StartWriteOf(const chat::v1::ClientEvent& event);
  // One event read from roomd (bytes of a ServerEvent), to the observer as JSON frames.
  void Deliver(absl::string_view bytes);

  LiveSet<RoomdChatStream>::Membership membership_;  // first: it is destroyed last
  const JsonCodec* const codec_;
  EncodedEventCache* const cache_;
  const std::size_t max_queued_;
  const std::weak_ptr<RoomdStreamObserver> observer_;
  LiveSet<RoomdChatStream>* const live_;

  grpc::ClientContext context_;
  grpc::ByteBuffer read_buffer_;   // touched only by the read chain
  grpc::ByteBuffer write_buffer_;  // touched only by whoever set write_in_flight_

  chat::Mutex mu_;
  std::deque<chat::v1::ClientEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_closing_ ABSL_GUARDED_BY(mu_) = false;  // CloseWrites() was called
  bool writes_ended_ ABSL_GUARDED_BY(mu_) = false;    // WritesDone sent or the call is over
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_full_ ABSL_GUARDED_BY(mu_) = false;

  std::shared_ptr<RoomdChatStream> self_;  // set in Start(), dropped in OnDone()
};

}  // namespace wsbridge
