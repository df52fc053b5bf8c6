#pragma once

// One benchmark client over gRPC, straight to roomd's Chat stream: joins, hands every
// ServerEvent (batches included) to its Participant, and writes its Sender's messages with
// exactly one write in flight from a small queue. Responses are read as raw bytes and
// walked by ProtoFrameDecoder (no message objects per event). Reactions run on gRPC's
// threads and never block; the write state is under mu_.
// Lifetime: owned by the runner, which destroys it only after OnDone (done() is true).

#include <atomic>
#include <deque>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>  // SerializationTraits for ClientEvent

#include "bench/participant.h"
#include "bench/transport.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"

namespace bench {

// Requests are ClientEvent messages; responses stay raw bytes.
using ChatStub = grpc::TemplatedGenericStub<chat::v1::ClientEvent, grpc::ByteBuffer>;

class GrpcClient final : public grpc::ClientBidiReactor<chat::v1::ClientEvent, grpc::ByteBuffer>,
                         public Transport {
 public:
  // `accept_batches`: the join's Join.accept_batches (else one event per ServerEvent).
  GrpcClient(ChatStub* stub, Participant* participant, std::string room, bool accept_batches);
  GrpcClient(const GrpcClient&) = delete;
  GrpcClient& operator=(const GrpcClient&) = delete;

  // Any thread.
  void Start();
  // Half-closes: roomd then ends the stream OK.
  void Close();
  // Ends the call at once (when a close takes too long).
  void Cancel() { context_.TryCancel(); }
  bool done() const { return done_.load(std::memory_order_acquire); }

  void SendMessage(const std::string& text, const std::string& client_id) override;

  // Reactions.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void Write(chat::v1::ClientEvent event);
  // Under mu_: takes the hold that keeps the call open for outside writes, if still held.
  bool TakeHoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ChatStub* const stub_;
  Participant* const participant_;
  const std::string room_;
  const bool accept_batches_;
  grpc::ClientContext context_;
  grpc::ByteBuffer in_;
  std::string contiguous_;  // in_'s bytes when they span several slices
  std::atomic<bool> done_{false};

  chat::Mutex mu_;
  std::deque<chat::v1::ClientEvent> queue_ ABSL_GUARDED_BY(mu_);
  chat::v1::ClientEvent out_ ABSL_GUARDED_BY(mu_);  // the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace bench
