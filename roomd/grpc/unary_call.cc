#include "roomd/grpc/unary_call.h"

namespace roomd {

// The reactor of a call answered after its method returned. Finish waits for both the
// broker's status and the proof that gRPC bound this reactor.
class UnaryCall::Later final : public grpc::ServerUnaryReactor {
 public:
  Later() { StartSendInitialMetadata(); }

  void SetStatus(const grpc::Status& status) {
    chat::MutexLock lock(&mu_);
    status_ = status;
    MaybeFinishLocked();
  }

  void OnSendInitialMetadataDone(bool /*ok*/) override {
    chat::MutexLock lock(&mu_);
    bound_ = true;
    MaybeFinishLocked();
  }

  void OnDone() override {
    { chat::MutexLock lock(&mu_); }  // orders the finishing thread's writes before the end
    delete this;
  }

 private:
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (bound_ && status_.has_value() && !finished_) {
      finished_ = true;
      Finish(*status_);
    }
  }

  chat::Mutex mu_;
  bool bound_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<UnaryCall> UnaryCall::Create(grpc::CallbackServerContext* context) {
  return std::shared_ptr<UnaryCall>(new UnaryCall(context));
}

void UnaryCall::Done(const grpc::Status& status) {
  Later* later = nullptr;
  {
    chat::MutexLock lock(&mu_);
    if (!returned_) {
      inline_status_ = status;
      return;
    }
    later = later_;
  }
  later->SetStatus(status);  // alive: it cannot finish before this
}

grpc::ServerUnaryReactor* UnaryCall::Reactor() {
  chat::MutexLock lock(&mu_);
  returned_ = true;
  if (inline_status_.has_value()) {
    grpc::ServerUnaryReactor* reactor = context_->DefaultReactor();
    reactor->Finish(*inline_status_);
    return reactor;
  }
  later_ = new Later();
  return later_;
}

}  // namespace roomd
