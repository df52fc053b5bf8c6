#include "bench/grpc_client.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/run_state.h"

namespace bench {

GrpcClient::GrpcClient(chat::v1::ChatService::Stub* stub, Participant* participant,
                       std::string room)
    : stub_(stub), participant_(participant), room_(std::move(room)) {}

void GrpcClient::Start() {
  stub_->async()->Chat(&context_, this);
  {
    chat::MutexLock lock(&mu_);
    holding_ = true;
  }
  AddHold();  // writes come from outside the reactions (the sender's thread)
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room(room_);
  join.mutable_join()->set_email(participant_->Email());
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
      queue_.clear();
      release = TakeHoldLocked();
    } else if (closing_) {
      if (!writes_ended_) {
        writes_ended_ = true;
        writes_done = true;
        release = TakeHoldLocked();
      }
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
  HandleEvent(in_, NowNanos());
  StartRead(&in_);
}

void GrpcClient::HandleEvent(const chat::v1::ServerEvent& event, int64_t now_ns) {
  switch (event.event_case()) {
    case chat::v1::ServerEvent::kMessage:
      participant_->OnChatText(event.message().text(), now_ns);
      return;
    case chat::v1::ServerEvent::kBatch:
      for (const chat::v1::ServerEvent& inner : event.batch().events()) {
        if (!inner.has_batch()) {
          HandleEvent(inner, now_ns);
        }
      }
      return;
    case chat::v1::ServerEvent::kWelcome:
      participant_->OnWelcome(static_cast<std::size_t>(event.welcome().online_size()));
      return;
    case chat::v1::ServerEvent::kPresence:
      participant_->OnPresence(event.presence().online_count());
      return;
    case chat::v1::ServerEvent::kError:
      participant_->OnError(event.error().code(), event.error().message(),
                            event.error().client_id());
      return;
    case chat::v1::ServerEvent::kTyping:
    case chat::v1::ServerEvent::EVENT_NOT_SET:
      return;
  }
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
