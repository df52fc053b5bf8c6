#include "wsbridge/roomd_link/roomd_chat_stream.h"

#include <utility>
#include <vector>

#include "wsbridge/codec/server_event_frames.h"

namespace wsbridge {

RoomdChatStream::RoomdChatStream(const JsonCodec* codec, EncodedEventCache* cache,
                                 std::size_t max_queued,
                                 std::weak_ptr<RoomdStreamObserver> observer,
                                 LiveSet<RoomdChatStream>* live)
    : membership_(live, this),
      codec_(codec),
      cache_(cache),
      max_queued_(max_queued == 0 ? 1 : max_queued),
      observer_(std::move(observer)),
      live_(live) {}

void RoomdChatStream::Start(grpc::GenericStub* stub) {
  self_ = shared_from_this();
  live_->Add(self_);
  // No wait_for_ready: if roomd cannot be reached the call fails now with UNAVAILABLE.
  stub->PrepareBidiStreamingCall(&context_, kChatMethod, grpc::StubOptions(), this);
  {
    chat::MutexLock lock(&mu_);
    holding_ = true;
  }
  AddHold();
  StartRead(&read_buffer_);
  StartCall();
}

RoomdChatStream::WriteResult RoomdChatStream::Write(chat::v1::ClientEvent event) {
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
  }
  // gRPC calls stay outside mu_: some complete inline and would re-enter a reaction.
  StartWriteOf(event);
  return WriteResult::kQueued;
}

void RoomdChatStream::CloseWrites() {
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

void RoomdChatStream::Cancel() { context_.TryCancel(); }

void RoomdChatStream::OnReadDone(bool ok) {
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
  grpc::Slice slice;
  if (read_buffer_.DumpToSingleSlice(&slice).ok()) {
    Deliver(absl::string_view(reinterpret_cast<const char*>(slice.begin()), slice.size()));
  } else {
    Deliver(absl::string_view());
  }
  read_buffer_.Clear();
  StartRead(&read_buffer_);
}

void RoomdChatStream::OnWriteDone(bool ok) {
  bool start_next = false;
  chat::v1::ClientEvent next;
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
      next = std::move(queue_.front());
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
    StartWriteOf(next);
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

void RoomdChatStream::OnDone(const grpc::Status& status) {
  if (auto observer = observer_.lock()) {
    observer->OnRoomdDone(status);
  }
  // The last reference may be this one: nothing may touch *this after the next line.
  std::shared_ptr<RoomdChatStream> self = std::move(self_);
}

void RoomdChatStream::StartWriteOf(const chat::v1::ClientEvent& event) {
  bool own_buffer = false;
  write_buffer_.Clear();
  const grpc::Status status = grpc::SerializationTraits<chat::v1::ClientEvent>::Serialize(
      event, &write_buffer_, &own_buffer);
  if (!status.ok()) {
    context_.TryCancel();  // unreachable for a valid message; never leave a write hanging
  }
  StartWrite(&write_buffer_);
}

void RoomdChatStream::Deliver(absl::string_view bytes) {
  auto observer = observer_.lock();
  if (!observer) {
    return;
  }
  SharedFrames frames = FramesOfServerEvent(bytes, *codec_, cache_);
  if (!frames->frames.empty()) {
    observer->OnRoomdEvents(std::move(frames), /*wakes=*/nullptr);
  }
}

bool RoomdChatStream::TakeHold() {
  const bool held = holding_;
  holding_ = false;
  return held;
}

}  // namespace wsbridge
