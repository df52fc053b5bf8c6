#include "wsbridge/roomd_stream.h"

#include <utility>

namespace wsbridge {
namespace {

bool HoldsWelcome(const chat::v1::ServerEvent& event) {
  if (event.has_welcome()) {
    return true;
  }
  if (event.has_batch()) {
    for (const auto& inner : event.batch().events()) {
      if (inner.has_welcome()) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

RoomdStream::RoomdStream(const JsonCodec* codec, std::size_t max_queued,
                         std::weak_ptr<RoomdStreamObserver> observer,
                         LiveSet<RoomdStream>* live)
    : codec_(codec),
      max_queued_(max_queued == 0 ? 1 : max_queued),
      observer_(std::move(observer)),
      live_(live) {}

void RoomdStream::Start(chat::v1::ChatService::Stub* stub) {
  self_ = shared_from_this();
  live_->Add(self_);
  // No wait_for_ready: if roomd cannot be reached the call fails now with UNAVAILABLE.
  stub->async()->Chat(&context_, this);
  {
    chat::MutexLock lock(&mu_);
    holding_ = true;
  }
  AddHold();
  StartRead(&read_event_);
  StartCall();
}

RoomdStream::WriteResult RoomdStream::Write(chat::v1::ClientEvent event) {
  {
    chat::MutexLock lock(&mu_);
    if (writes_closing_ || writes_ended_) {
      return WriteResult::kClosed;
    }
    if (write_in_flight_) {
      queue_.push_back(std::move(event));
      if (queue_.size() >= max_queued_) {
        reported_full_ = true;
        return WriteResult::kQueueFull;
      }
      return WriteResult::kQueued;
    }
    write_in_flight_ = true;
    write_event_ = std::move(event);
  }
  // gRPC calls stay outside mu_: some complete inline and would re-enter a reaction.
  StartWrite(&write_event_);
  return WriteResult::kQueued;
}

void RoomdStream::CloseWrites() {
  bool writes_done = false;
  bool release = false;
  {
    chat::MutexLock lock(&mu_);
    if (writes_closing_ || writes_ended_) {
      return;
    }
    writes_closing_ = true;
    if (!write_in_flight_) {
      writes_ended_ = true;
      writes_done = true;
      release = TakeHold();
    }
  }
  if (writes_done) {
    StartWritesDone();
  }
  if (release) {
    RemoveHold();
  }
}

void RoomdStream::Cancel() { context_.TryCancel(); }

void RoomdStream::OnReadDone(bool ok) {
  if (!ok) {
    // The call is over (roomd finished it, or it failed); OnDone brings the status.
    bool release = false;
    {
      chat::MutexLock lock(&mu_);
      writes_ended_ = true;
      queue_.clear();
      if (!write_in_flight_) {
        release = TakeHold();
      }
    }
    if (release) {
      RemoveHold();
    }
    return;
  }
  if (auto observer = observer_.lock()) {
    auto frame = codec_->EncodeServerEvent(read_event_);
    if (frame.ok()) {
      observer->OnRoomdFrame(*std::move(frame), HoldsWelcome(read_event_));
    } else {
      observer->OnRoomdFrame(codec_->EncodeError(frame.status().code(), frame.status().message()),
                             /*welcome=*/false);
    }
  }
  StartRead(&read_event_);
}

void RoomdStream::OnWriteDone(bool ok) {
  bool start_next = false;
  bool writes_done = false;
  bool release = false;
  bool writable = false;
  {
    chat::MutexLock lock(&mu_);
    if (!ok) {
      writes_ended_ = true;  // the call is over; the read chain reports why
    }
    if (writes_ended_) {
      queue_.clear();
      write_in_flight_ = false;
      release = TakeHold();
    } else if (!queue_.empty()) {
      write_event_ = std::move(queue_.front());
      queue_.pop_front();
      start_next = true;
      if (reported_full_ && queue_.size() <= max_queued_ / 2) {
        reported_full_ = false;
        writable = true;
      }
    } else {
      write_in_flight_ = false;
      if (writes_closing_) {
        writes_ended_ = true;
        writes_done = true;
        release = TakeHold();
      }
    }
  }
  if (start_next) {
    StartWrite(&write_event_);
  }
  if (writes_done) {
    StartWritesDone();
  }
  if (release) {
    RemoveHold();
  }
  if (writable) {
    if (auto observer = observer_.lock()) {
      observer->OnRoomdWritable();
    }
  }
}

void RoomdStream::OnDone(const grpc::Status& status) {
  if (auto observer = observer_.lock()) {
    observer->OnRoomdDone(status);
  }
  live_->Remove(this);
  // The last reference may be this one: nothing may touch *this after the next line.
  std::shared_ptr<RoomdStream> self = std::move(self_);
}

bool RoomdStream::TakeHold() {
  const bool held = holding_;
  holding_ = false;
  return held;
}

}  // namespace wsbridge
