#pragma once

#include <atomic>
#include <string>

#include <grpcpp/grpcpp.h>

#include "roomd/grpc/chat_session.h"
#include "roomd/grpc/session_transport.h"

namespace roomd {

// One Chat call: the gRPC reactor that carries one ChatSession (raw bytes both ways).
// Lifetime: gRPC owns it until OnDone, which hands the session its last reaction and
// deletes this.
class ChatStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                         public SessionTransport {
 public:
  ChatStream(grpc::CallbackServerContext* context, const ServerOptions& options,
             RoomRegistry* rooms, SessionTracker* tracker, Timer* timer,
             const auth::Authenticator* auth);

  // SessionTransport.
  void RequestRead() override;
  void Write(std::vector<grpc::Slice> events, bool more) override;
  bool AlwaysBatches() const override { return false; }
  void Finish(const absl::Status& status, bool abort) override;

  // Reactions.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // gRPC hands the reactor to its reaction threads through synchronization inside libgrpc,
  // which ThreadSanitizer cannot see (Debian's gRPC is not instrumented). This release (end
  // of the constructor) / acquire (start of each reaction) pair states that order
  // explicitly; it costs one uncontended atomic load per reaction.
  void AcquireConstruction() const { constructed_.load(std::memory_order_acquire); }

  grpc::CallbackServerContext* const context_;
  ChatSession* session_;     // holds the session's transport reference until OnDone
  grpc::ByteBuffer in_;      // the read in flight
  grpc::ByteBuffer out_;     // the write in flight; unchanged until OnWriteDone
  std::string abort_message_;  // kept alive for grpc_call_cancel_with_status
  std::atomic<bool> constructed_{false};
};

}  // namespace roomd
