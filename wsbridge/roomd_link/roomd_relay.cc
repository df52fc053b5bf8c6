#include "wsbridge/roomd_link/roomd_relay.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/relay_wire.h"
#include "common/secret_file.h"
#include "wsbridge/codec/server_event_frames.h"

namespace wsbridge {
namespace {

using google::protobuf::internal::WireFormatLite;
namespace wire = chat::relay_wire;

// One RelayUp frame carries items up to about this many bytes (at least one item), well
// under roomd's smallest receive limit (64 KiB).
constexpr std::size_t kMaxFrameBytes = 48 * 1024;

// One RelayUp.items element: `field` is the action's tag; `payload` the event's bytes for
// wire::kUpEventTag (else the action is `true`).
std::string EncodeUpItem(uint64_t session, uint32_t field, absl::string_view payload) {
  const std::size_t action_bytes =
      field == wire::kUpEventTag ? 1 + wire::VarintSize(payload.size()) + payload.size() : 2;
  const std::size_t body = 1 + wire::VarintSize(session) + action_bytes;
  std::string item;
  item.reserve(1 + wire::VarintSize(body) + body);
  item.push_back(static_cast<char>(wire::kItemsTag));
  wire::AppendVarint(body, &item);
  item.push_back(static_cast<char>(wire::kSessionTag));
  wire::AppendVarint(session, &item);
  item.push_back(static_cast<char>(field));
  if (field == wire::kUpEventTag) {
    wire::AppendVarint(payload.size(), &item);
    item.append(payload.data(), payload.size());
  } else {
    item.push_back(1);
  }
  return item;
}

struct DownItem {
  uint64_t session = 0;
  std::vector<uint64_t> more_sessions;  // the same event goes to these too
  absl::string_view event;
  bool has_event = false;
  bool done = false;
  int code = 0;
  absl::string_view message;
};

// The items of one RelayDown frame; false if the bytes are not a RelayDown.
bool ParseRelayDown(absl::string_view frame, std::vector<DownItem>* items) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(frame.data()),
                                            static_cast<int>(frame.size()));
  while (uint32_t tag = in.ReadTag()) {
    uint32_t length = 0;
    if (tag != wire::kItemsTag || !in.ReadVarint32(&length)) {
      if (tag == wire::kItemsTag || !WireFormatLite::SkipField(&in, tag)) {
        return false;
      }
      continue;
    }
    const auto limit = in.PushLimit(static_cast<int>(length));
    DownItem item;
    while (uint32_t field = in.ReadTag()) {
      uint64_t value = 0;
      uint32_t size = 0;
      switch (field) {
        case wire::kSessionTag:
          if (!in.ReadVarint64(&item.session)) {
            return false;
          }
          break;
        case wire::kDownEventTag:
        case wire::kDownMessageTag: {
          if (!in.ReadVarint32(&size)) {
            return false;
          }
          const absl::string_view bytes = frame.substr(static_cast<size_t>(in.CurrentPosition()), size);
          if (!in.Skip(static_cast<int>(size))) {
            return false;
          }
          if (field == wire::kDownEventTag) {
            item.event = bytes;
            item.has_event = true;
          } else {
            item.message = bytes;
          }
          break;
        }
        case wire::kDownMoreSessionsTag: {
          if (!in.ReadVarint32(&size)) {
            return false;
          }
          const auto packed = in.PushLimit(static_cast<int>(size));
          while (in.BytesUntilLimit() > 0) {
            if (!in.ReadVarint64(&value)) {
              return false;
            }
            item.more_sessions.push_back(value);
          }
          in.PopLimit(packed);
          break;
        }
        case wire::kDownMoreSessionTag:
          if (!in.ReadVarint64(&value)) {
            return false;
          }
          item.more_sessions.push_back(value);
          break;
        case wire::kDownDoneTag:
        case wire::kDownCodeTag:
          if (!in.ReadVarint64(&value)) {
            return false;
          }
          if (field == wire::kDownDoneTag) {
            item.done = value != 0;
          } else {
            item.code = static_cast<int>(value);
          }
          break;
        default:
          if (!WireFormatLite::SkipField(&in, field)) {
            return false;
          }
      }
    }
    if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) {
      return false;
    }
    in.PopLimit(limit);
    items->push_back(std::move(item));
  }
  return in.ConsumedEntireMessage() && in.CurrentPosition() == static_cast<int>(frame.size());
}

}  // namespace

// One browser's session on the relay. Its counters are guarded by the relay's mu_.
class RoomdRelay::Session final : public RoomdStream {
 public:
  Session(std::shared_ptr<RoomdRelay> relay, std::weak_ptr<RoomdStreamObserver> observer)
      : relay_(std::move(relay)), observer_(std::move(observer)) {}

  WriteResult Write(chat::v1::ClientEvent event) override {
    const std::string bytes = event.SerializeAsString();
    if (bytes.size() > kMaxEventBytes) {
      return WriteResult::kTooLarge;
    }
    return relay_->Send(this, ItemKind::kEvent, bytes);
  }

  void CloseWrites() override { relay_->Send(this, ItemKind::kClose, {}); }

  void Cancel() override {
    if (finished_.load(std::memory_order_acquire)) {
      return;
    }
    relay_->Send(this, ItemKind::kCancel, {});
    relay_->Forget(this);
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  // Results, called by the relay outside its lock.
  void Deliver(const SharedFrames& frames, WakeBatch* wakes) {
    if (frames->frames.empty()) {
      return;
    }
    if (auto observer = observer_.lock()) {
      observer->OnRoomdEvents(frames, wakes);
    }
  }
  void Writable() {
    if (auto observer = observer_.lock()) {
      observer->OnRoomdWritable();
    }
  }
  void Finish(const grpc::Status& status) {
    if (finished_.exchange(true, std::memory_order_acq_rel)) {
      return;
    }
    if (auto observer = observer_.lock()) {
      observer->OnRoomdDone(status);
    }
  }

  // roomd knows a session by the id it gets with its first item, so ids reach roomd in
  // increasing order whatever order the sessions were opened in. 0: nothing sent yet.
  uint64_t id = 0;
  std::size_t queued = 0;       // events not yet written
  bool reported_full = false;   // Write said kQueueFull; OnRoomdWritable is owed
  bool writes_closed = false;   // CloseWrites or Cancel was sent
  bool cancelled = false;

 private:
  const std::shared_ptr<RoomdRelay> relay_;
  const std::weak_ptr<RoomdStreamObserver> observer_;
  std::atomic<bool> finished_{false};
};

RoomdRelay::RoomdRelay(const JsonCodec* codec, EncodedEventCache* cache, std::size_t max_queued,
                       LiveSet<RoomdRelay>* live)
    : membership_(live, this), codec_(codec), cache_(cache), max_queued_(max_queued == 0 ? 1 : max_queued), live_(live) {}

void RoomdRelay::Start(grpc::GenericStub* stub, const std::string& relay_secret) {
  if (!relay_secret.empty()) {
    context_.AddMetadata(chat::kRelaySecretMetadata, relay_secret);
  }
  self_ = shared_from_this();
  live_->Add(self_);
  // No wait_for_ready: if roomd cannot be reached the call fails now with UNAVAILABLE.
  stub->PrepareBidiStreamingCall(&context_, kRelayMethod, grpc::StubOptions(), this);
  bool start_write = false;
  {
    chat::MutexLock lock(&mu_);
    started_ = true;
    holding_ = true;
    start_write = !write_in_flight_ && TakeNextWriteLocked();
  }
  AddHold();
  StartRead(&read_buffer_);
  if (start_write) {
    StartWrite(&write_buffer_);
  }
  StartCall();
}

std::shared_ptr<RoomdStream> RoomdRelay::Open(std::weak_ptr<RoomdStreamObserver> observer) {
  chat::MutexLock lock(&mu_);
  if (over_) {
    return nullptr;
  }
  auto session = std::make_shared<Session>(shared_from_this(), std::move(observer));
  sessions_.emplace(session.get(), session);
  return session;
}

void RoomdRelay::Cancel() { context_.TryCancel(); }

bool RoomdRelay::over() const {
  chat::MutexLock lock(&mu_);
  return over_;
}

RoomdStream::WriteResult RoomdRelay::Send(Session* session, ItemKind kind,
                                          absl::string_view event) {
  RoomdStream::WriteResult result = RoomdStream::WriteResult::kQueued;
  bool start_write = false;
  std::shared_ptr<Session> closed_unheard;
  {
    chat::MutexLock lock(&mu_);
    if (over_ || session->cancelled || (kind != ItemKind::kCancel && session->writes_closed)) {
      return RoomdStream::WriteResult::kClosed;
    }
    if (session->id == 0 && kind != ItemKind::kEvent) {
      // Ended before it said anything: roomd never heard of it. A Chat call would end OK
      // on its half-close (below), CANCELLED on its cancellation (Session::Cancel).
      session->writes_closed = true;
      session->cancelled = kind == ItemKind::kCancel;
      if (auto it = sessions_.find(session); it != sessions_.end()) {
        if (kind == ItemKind::kClose) {
          closed_unheard = it->second;
        }
        sessions_.erase(it);
      }
    } else {
      if (session->id == 0) {
        session->id = next_session_++;
        if (auto it = sessions_.find(session); it != sessions_.end()) {
          ids_.emplace(session->id, it->second);
        }
      }
      QueueLocked(session, kind, event, &result);
      // Before Start() the first write waits for the call to be prepared.
      start_write = started_ && !write_in_flight_ && TakeNextWriteLocked();
    }
  }
  if (closed_unheard != nullptr) {
    closed_unheard->Finish(grpc::Status::OK);
  }
  if (start_write) {
    StartWrite(&write_buffer_);
  }
  return result;
}

void RoomdRelay::QueueLocked(Session* session, ItemKind kind, absl::string_view event,
                             RoomdStream::WriteResult* result) {
  if (kind == ItemKind::kEvent) {
    if (++session->queued >= max_queued_) {
      session->reported_full = true;
      *result = RoomdStream::WriteResult::kQueueFull;
    }
  } else {
    session->writes_closed = true;
    session->cancelled = kind == ItemKind::kCancel;
  }
  const uint32_t field = kind == ItemKind::kEvent   ? wire::kUpEventTag
                         : kind == ItemKind::kClose ? wire::kUpCloseTag
                                                    : wire::kUpCancelTag;
  queue_.push_back(
      Item{session->id, EncodeUpItem(session->id, field, event), kind == ItemKind::kEvent});
}

void RoomdRelay::Forget(Session* session) {
  chat::MutexLock lock(&mu_);
  ids_.erase(session->id);
  sessions_.erase(session);
}

bool RoomdRelay::TakeNextWriteLocked() {
  if (queue_.empty() || over_) {
    return false;
  }
  std::string frame;
  while (!queue_.empty() &&
         (frame.empty() || frame.size() + queue_.front().bytes.size() <= kMaxFrameBytes)) {
    Item& item = queue_.front();
    if (item.counted) {
      in_flight_.push_back(item.session);
    }
    frame.append(item.bytes);
    queue_.pop_front();
  }
  grpc::Slice slice(frame);
  write_buffer_ = grpc::ByteBuffer(&slice, 1);
  write_in_flight_ = true;
  return true;
}

void RoomdRelay::OnWriteDone(bool ok) {
  std::vector<std::shared_ptr<Session>> writable;
  bool start_write = false;
  bool release = false;
  {
    chat::MutexLock lock(&mu_);
    write_in_flight_ = false;
    for (uint64_t id : in_flight_) {
      auto it = ids_.find(id);
      if (it == ids_.end()) {
        continue;
      }
      Session& session = *it->second;
      --session.queued;
      if (session.reported_full && session.queued <= max_queued_ / 2) {
        session.reported_full = false;
        writable.push_back(it->second);
      }
    }
    in_flight_.clear();
    if (!ok) {
      over_ = true;  // the call is over; the read chain and OnDone report why
    }
    if (over_) {
      queue_.clear();
      release = TakeHold();
    } else {
      start_write = TakeNextWriteLocked();
    }
  }
  if (start_write) {
    StartWrite(&write_buffer_);
  }
  if (release) {
    RemoveHold();
  }
  for (const auto& session : writable) {
    session->Writable();
  }
}

void RoomdRelay::OnReadDone(bool ok) {
  if (!ok) {
    bool release = false;
    {
      chat::MutexLock lock(&mu_);
      over_ = true;
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
    Dispatch(absl::string_view(reinterpret_cast<const char*>(slice.begin()), slice.size()));
  }
  read_buffer_.Clear();
  StartRead(&read_buffer_);
}

void RoomdRelay::Dispatch(absl::string_view frame) {
  std::vector<DownItem> items;
  if (!ParseRelayDown(frame, &items)) {
    context_.TryCancel();  // roomd speaks another protocol: end every session (UNAVAILABLE)
    return;
  }
  // Each item's sessions, in order.
  struct Target {
    const DownItem* item;
    std::shared_ptr<Session> session;
  };
  std::vector<Target> targets;
  targets.reserve(items.size());
  {
    chat::MutexLock lock(&mu_);
    const auto add = [&](const DownItem& item, uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = ids_.find(id);
      if (it == ids_.end()) {
        return;  // cancelled here while roomd was still writing to it
      }
      targets.push_back(Target{&item, it->second});
      if (item.done) {
        sessions_.erase(it->second.get());
        ids_.erase(it);
      }
    };
    for (const DownItem& item : items) {
      add(item, item.session);
      for (uint64_t id : item.more_sessions) {
        add(item, id);
      }
    }
  }
  // An event is decoded once for all the sessions of its item (and for following items
  // with the same bytes): every one of them gets the same frames.
  const DownItem* decoded_item = nullptr;
  absl::string_view decoded_bytes;
  SharedFrames decoded;
  // The sessions' wakeups go out together, one post per io thread, at the end; a session's
  // end must not overtake its events, so a done item first posts what is pending.
  WakeBatch wakes;
  for (const Target& target : targets) {
    const DownItem& item = *target.item;
    Session* session = target.session.get();
    if (item.has_event) {
      // The bytes are compared once per item, not once per session.
      if (&item != decoded_item) {
        if (decoded_item == nullptr || item.event != decoded_bytes) {
          decoded = FramesOfServerEvent(item.event, *codec_, cache_);
          decoded_bytes = item.event;
        }
        decoded_item = &item;
      }
      session->Deliver(decoded, &wakes);
    }
    if (item.done) {
      wakes.Post();
      session->Finish(grpc::Status(static_cast<grpc::StatusCode>(item.code),
                                   std::string(item.message)));
    }
  }
}

void RoomdRelay::OnDone(const grpc::Status& status) {
  absl::flat_hash_map<Session*, std::shared_ptr<Session>> sessions;
  {
    chat::MutexLock lock(&mu_);
    over_ = true;
    sessions.swap(sessions_);
    ids_.clear();
  }
  const grpc::Status lost =
      status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "roomd ended the relay")
                  : status;
  for (auto& [id, session] : sessions) {
    session->Finish(lost);
  }
  sessions.clear();
  // The last reference may be this one: nothing may touch *this after the next line.
  std::shared_ptr<RoomdRelay> self = std::move(self_);
}

bool RoomdRelay::TakeHold() {
  const bool held = holding_;
  holding_ = false;
  return held;
}

}  // namespace wsbridge
