#include "roomd/grpc/chat_stream.h"

#include <grpc/grpc.h>

#include <utility>

#include "roomd/core/event_codec.h"
#include "roomd/grpc/call_credentials.h"
#include "roomd/grpc/status_convert.h"

namespace roomd {

ChatStream::ChatStream(grpc::CallbackServerContext* context, const ServerOptions& options,
                       RoomRegistry* rooms, SessionTracker* tracker, Timer* timer,
                       const auth::Authenticator* auth)
    : context_(context),
      session_(new ChatSession(this, context->peer(), options, rooms, tracker, timer, auth,
                               BearerToken(*context))) {
  session_->Start();
  constructed_.store(true, std::memory_order_release);
}

void ChatStream::RequestRead() { StartRead(&in_); }

void ChatStream::Write(std::vector<grpc::Slice> events, bool more) {
  // Swapped in: ByteBuffer has no move assignment, and its copy costs a copy of the slice
  // list and a destroy (with an ExecCtx of its own) on every write.
  grpc::ByteBuffer encoded = EncodeWrite(events);
  out_.Swap(&encoded);
  grpc::WriteOptions options;
  if (more) {
    // chttp2 keeps a hinted message in the stream's buffer (up to its write buffer size,
    // 64 KiB) and completes the write at once; the next write without it flushes them all.
    options.set_buffer_hint();
  }
  StartWrite(&out_, options);
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
