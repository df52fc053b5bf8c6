#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>

namespace roomd {

// A unary RPC's reactor that may be finished from any thread: the gRPC thread that got the
// call, or the broker's thread once Redis answered. The response is written by the
// finishing thread and destroyed by gRPC after OnDone, on another thread; gRPC orders the
// two inside libgrpc, which ThreadSanitizer cannot see (Debian's gRPC is not
// instrumented), so Finish's release and OnDone's acquire state that order explicitly.
// Lifetime: created with new by the service method; deletes itself in OnDone.
class UnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  void FinishWith(const grpc::Status& status) {
    finished_.store(true, std::memory_order_release);
    Finish(status);
  }

  void OnDone() override {
    finished_.load(std::memory_order_acquire);
    delete this;
  }

 private:
  std::atomic<bool> finished_{false};
};

}  // namespace roomd
