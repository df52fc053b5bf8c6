#include "roomd/grpc/chat_stream.h"

#include <grpc/grpc.h>

#include <utility>

#include "roomd/core/event_codec.h"
#include "roomd/grpc/status_convert.h"

namespace roomd {

ChatStream::ChatStream(grpc::CallbackServerContext* context, const ServerOptions& options,
                       RoomRegistry* rooms, SessionTracker* tracker, Timer* timer)
    : context_(context),
      session_(new ChatSession(this, context->peer(), options, rooms, tracker, timer)) {
  session_->Start();
  constructed_.store(true, std::memory_order_release);
}

void ChatStream::RequestRead() { StartRead(&in_); }

void ChatStream::Write(std::vector<grpc::Slice> events) {
  out_ = EncodeWrite(events);
  StartWrite(&out_);
}

void ChatStream::Finish(const absl::Status& status, bool abort) {
  if (abort) {
    // Cancelling first reaches the client at once even when a write is stuck behind flow
    // control, and releases the call's resources.
    abort_message_ = std::string(status.message());
    grpc_call_cancel_with_status(context_->c_call(), static_cast<grpc_status_code>(status.code()),
                                 abort_message_.c_str(), nullptr);
  }
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>::Finish(ToGrpcStatus(status));
}

void ChatStream::OnReadDone(bool ok) {
  AcquireConstruction();
  session_->OnRead(ok ? &in_ : nullptr);
}

void ChatStream::OnWriteDone(bool ok) {
  AcquireConstruction();
  out_.Clear();
  session_->OnWriteDone(ok);
}

void ChatStream::OnCancel() {
  AcquireConstruction();
  session_->OnCancel();
}

void ChatStream::OnDone() {
  AcquireConstruction();
  session_->OnDone();
  delete this;
}

}  // namespace roomd
