#include "bench/grpc_client.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/proto_frame_decoder.h"
#include "bench/run_state.h"

namespace bench {
namespace {

// The generic stub keeps a pointer to the method name for the call's lifetime.
const std::string& ChatMethod() {
  static const std::string* const kMethod = new std::string("/chat.v1.ChatService/Chat");
  return *kMethod;
}

}  // namespace

GrpcClient::GrpcClient(ChatStub* stub, Participant* participant,
                       std::string room, bool accept_batches)
    : stub_(stub), participant_(participant), room_(std::move(room)),
      accept_batches_(accept_batches) {}

void GrpcClient::Start() {
  stub_->PrepareBidiStreamingCall(&context_, ChatMethod(), grpc::StubOptions(), this);
  {
    chat::MutexLock lock(&mu_);
    holding_ = true;
  }
  AddHold();  // writes come from outside the reactions (the sender's thread)
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room(room_);
  join.mutable_join()->set_email(participant_->Email());
  participant_->OnJoinSent(NowNanos());
  join.mutable_join()->set_accept_batches(accept_batches_);
  Write(std::move(join));
  StartRead(&in_);
  StartCall();
}

void GrpcClient::SendMessage(const std::string& text, const std::string& client_id) {
  chat::v1::ClientEvent event;
  event.mutable_send()->set_text(text);
  event.mutable_send()->set_client_id(client_id);
  Write(std::move(event));
}

void GrpcClient::Write(chat::v1::ClientEvent event) {
  {
    chat::MutexLock lock(&mu_);
    if (closing_ || writes_ended_) {
      return;
    }
    if (writing_) {
      queue_.push_back(std::move(event));  // bounded by the sender's window
      return;
    }
    writing_ = true;
    out_ = std::move(event);
  }
  // Outside mu_: a write may complete inline and re-enter OnWriteDone.
  StartWrite(&out_);
}

void GrpcClient::Close() {
  bool writes_done = false;
  bool release = false;
  {
    chat::MutexLock lock(&mu_);
    if (closing_ || writes_ended_) {
      return;
    }
    closing_ = true;
    queue_.clear();
    if (!writing_) {
      writes_ended_ = true;
      writes_done = true;
      release = TakeHoldLocked();
    }
  }
  if (writes_done) {
    StartWritesDone();
  }
  if (release) {
    RemoveHold();
  }
}

void GrpcClient::OnWriteDone(bool ok) {
  bool start_next = false;
  bool writes_done = false;
  bool release = false;
  {
    chat::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      writes_ended_ = true;  // the call is over; OnDone says why
    }
    if (writes_ended_) {
      // Over (here or, while this write was in flight, on the read side): nothing more
      // goes out, and the hold must go or OnDone never comes.
      queue_.clear();
      release = TakeHoldLocked();
    } else if (closing_) {
      writes_ended_ = true;
      writes_done = true;
      release = TakeHoldLocked();
    } else if (!queue_.empty()) {
      out_ = std::move(queue_.front());
      queue_.pop_front();
      writing_ = true;
      start_next = true;
    }
  }
  if (start_next) {
    StartWrite(&out_);
  }
  if (writes_done) {
    StartWritesDone();
  }
  if (release) {
    RemoveHold();
  }
}

void GrpcClient::OnReadDone(bool ok) {
  if (!ok) {
    bool release = false;
    {
      chat::MutexLock lock(&mu_);
      writes_ended_ = true;
      queue_.clear();
      if (!writing_) {
        release = TakeHoldLocked();
      }
    }
    if (release) {
      RemoveHold();
    }
    return;
  }
  const int64_t now = NowNanos();
  std::vector<grpc::Slice> slices;
  absl::Status status;
  if (!in_.Dump(&slices).ok()) {
    status = absl::InternalError("cannot read a message from roomd");
  } else if (slices.size() == 1) {
    status = ProtoFrameDecoder::Decode(
        absl::string_view(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size()),
        now, participant_);
  } else {
    contiguous_.clear();
    for (const grpc::Slice& slice : slices) {
      contiguous_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    status = ProtoFrameDecoder::Decode(contiguous_, now, participant_);
  }
  if (!status.ok()) {
    participant_->OnError("BENCH", status.message(), "");
  }
  in_.Clear();
  StartRead(&in_);
}

void GrpcClient::OnDone(const grpc::Status& status) {
  participant_->OnEnded(status.ok() ? "stream ended OK by the server"
                                    : absl::StrCat("stream ended ",
                                                   absl::StatusCodeToString(static_cast<absl::StatusCode>(
                                                       status.error_code())),
                                                   ": ", status.error_message()));
  done_.store(true, std::memory_order_release);
}

bool GrpcClient::TakeHoldLocked() {
  const bool held = holding_;
  holding_ = false;
  return held;
}

}  // namespace bench
