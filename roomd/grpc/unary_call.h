#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>

#include "common/mutex.h"

namespace roomd {

// Answers a unary RPC whose outcome comes from the broker: inline (the memory broker, or a
// broker that refuses at once) or later, on the broker's thread (Redis). The service method
// writes the response, calls Done with the status from the broker's callback, and returns
// Reactor().
//
// Inline, the call ends on the method's thread through the context's default reactor, as a
// plain unary method would. Later, the call is only finished once gRPC has bound its
// reactor (signalled by OnSendInitialMetadataDone), and every hand-off goes through
// chat::Mutex: gRPC's own ordering happens inside libgrpc, out of ThreadSanitizer's sight.
// Lifetime: shared by the method and the broker's callback; the reactor deletes itself in
// OnDone.
class UnaryCall : public std::enable_shared_from_this<UnaryCall> {
 public:
  static std::shared_ptr<UnaryCall> Create(grpc::CallbackServerContext* context);

  // The broker answered (any thread, exactly once); the response is written.
  void Done(const grpc::Status& status);
  // The reactor the service method returns (once, after starting the broker call).
  grpc::ServerUnaryReactor* Reactor();

 private:
  class Later;

  explicit UnaryCall(grpc::CallbackServerContext* context) : context_(context) {}

  grpc::CallbackServerContext* const context_;
  chat::Mutex mu_;
  bool returned_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> inline_status_ ABSL_GUARDED_BY(mu_);
  Later* later_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace roomd
