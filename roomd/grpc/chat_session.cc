#include "roomd/grpc/chat_session.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/core/event_codec.h"
#include "roomd/core/identity.h"
#include "roomd/core/logger.h"
#include "roomd/core/validation.h"
#include "roomd/grpc/status_convert.h"

namespace roomd {
namespace {

// A room can be recycled (closed while empty) between lookup and join; look it up again.
constexpr int kJoinAttempts = 3;

absl::Status SlowConsumerStatus() { return absl::ResourceExhaustedError("slow consumer"); }

}  // namespace

ChatSession::ChatSession(SessionTransport* transport, std::string peer,
                         const ServerOptions& options, RoomRegistry* rooms,
                         SessionTracker* tracker, Timer* timer)
    : transport_(transport),
      options_(options),
      rooms_(rooms),
      tracker_(tracker),
      conn_id_(tracker->NextConnId()),
      peer_(std::move(peer)),
      timer_(timer),
      send_bucket_(options.rate_per_second, options.rate_burst, absl::Now()),
      typing_bucket_(options.rate_per_second, options.rate_burst, absl::Now()) {}

void ChatSession::Start() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (absl::Status admitted = tracker_->Add(this); !admitted.ok()) {
    Log("error conn=%d peer=%s: %s", conn_id_, peer_, admitted.ToString());
    FinishLocked(admitted, /*abort=*/false, &notes);
    return;
  }
  Log("connect conn=%d peer=%s", conn_id_, peer_);
  // The deadline holds a reference until it runs or the timer drops it (Timer::Stop).
  Ref();
  std::shared_ptr<ChatSession> self(this, [](ChatSession* session) { session->Unref(); });
  timer_->Schedule(absl::Now() + options_.join_timeout, [self] { self->OnJoinDeadline(); });
  transport_->RequestRead();
}

void ChatSession::Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }

void ChatSession::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    delete this;
  }
}

void ChatSession::OnEventsAvailable() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  MaybeStartWriteLocked(&notes);
}

void ChatSession::OnDropped(const absl::Status& why) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ != State::kFinished) {
    Log("error %s: dropped: %s", DescribeLocked(), why.ToString());
  }
  FinishLocked(why, /*abort=*/true, &notes);
}

void ChatSession::OnJoined(const absl::StatusOr<chat::v1::ServerEvent>& welcome) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ != State::kJoining) {
    return;
  }
  if (!welcome.ok()) {
    Log("error %s: join refused: %s", DescribeLocked(), welcome.status().ToString());
    FinishLocked(welcome.status(), /*abort=*/false, &notes);
    return;
  }
  state_ = State::kJoined;
  Log("join %s", DescribeLocked());
  EnqueuePrivateLocked(*welcome, /*counted=*/false, &notes);
  MaybeStartWriteLocked(&notes);
  transport_->RequestRead();
}

void ChatSession::OnSendFailed(const absl::Status& why, const std::string& client_id) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ == State::kJoined) {
    SendErrorLocked(why, client_id, &notes);
  }
}

void ChatSession::OnCancel() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  // Only a joining session has no read in flight to notice the cancellation.
  if (state_ == State::kJoining) {
    FinishLocked(absl::CancelledError("cancelled while joining"), /*abort=*/false, &notes);
  }
}

void ChatSession::Shutdown() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  FinishLocked(absl::UnavailableError("server shutting down"), /*abort=*/true, &notes);
}

void ChatSession::OnJoinDeadline() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ != State::kAwaitingJoin) {
    return;
  }
  const absl::Status status = absl::DeadlineExceededError(absl::StrCat(
      "join timeout: no join within ", absl::FormatDuration(options_.join_timeout)));
  Log("error %s: %s", DescribeLocked(), status.ToString());
  // The read in flight waits for a client that says nothing: cancel the call as well.
  FinishLocked(status, /*abort=*/true, &notes);
}

void ChatSession::OnRead(grpc::ByteBuffer* bytes) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ == State::kFinished) {
    return;
  }
  if (bytes == nullptr) {
    // The client half-closed or went away: that is a leave.
    FinishLocked(absl::OkStatus(), /*abort=*/false, &notes);
    return;
  }
  chat::v1::ClientEvent event;
  if (!grpc::SerializationTraits<chat::v1::ClientEvent>::Deserialize(bytes, &event).ok()) {
    const absl::Status status = absl::InvalidArgumentError(
        "malformed ClientEvent: not a chat.v1.ClientEvent (strings must be valid UTF-8)");
    Log("error %s: %s", DescribeLocked(), status.ToString());
    FinishLocked(status, /*abort=*/false, &notes);
    return;
  }
  HandleEventLocked(event, &notes);
  // A joining session reads on once its Welcome is queued (OnJoined).
  if (state_ == State::kAwaitingJoin || state_ == State::kJoined) {
    transport_->RequestRead();
  }
}

void ChatSession::OnWriteDone(bool ok) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) {
    // The stream is broken (client gone); nothing more can be written.
    FinishLocked(absl::CancelledError("write failed"), /*abort=*/false, &notes);
    return;
  }
  MaybeStartWriteLocked(&notes);
}

void ChatSession::OnDone() {
  {
    Notifications notes;
    chat::MutexLock lock(&mu_);
    // The transport broke before the session said its last word (a relay that failed):
    // leave the room, and never touch the transport again.
    EndLocked(absl::CancelledError("transport lost"), &notes);
    Log("disconnect %s: %s", DescribeLocked(), final_status_.ToString());
  }
  tracker_->Remove(this);
  Unref();
}

void ChatSession::HandleEventLocked(const chat::v1::ClientEvent& event, Notifications* notes) {
  if (state_ == State::kAwaitingJoin && event.event_case() != chat::v1::ClientEvent::kJoin) {
    const absl::Status status = absl::InvalidArgumentError("first event must be join");
    Log("error %s: %s", DescribeLocked(), status.ToString());
    FinishLocked(status, /*abort=*/false, notes);
    return;
  }
  switch (event.event_case()) {
    case chat::v1::ClientEvent::kJoin:
      HandleJoinLocked(event.join(), notes);
      return;
    case chat::v1::ClientEvent::kSend:
      HandleSendLocked(event.send(), notes);
      return;
    case chat::v1::ClientEvent::kTyping:
      HandleTypingLocked(event.typing(), notes);
      return;
    case chat::v1::ClientEvent::kLeave:
      Log("leave %s", DescribeLocked());
      FinishLocked(absl::OkStatus(), /*abort=*/false, notes);
      return;
    case chat::v1::ClientEvent::EVENT_NOT_SET:
      break;
  }
  SendErrorLocked(absl::InvalidArgumentError("empty or unknown event ignored"), "", notes);
}

void ChatSession::HandleJoinLocked(const chat::v1::Join& join, Notifications* notes) {
  if (state_ == State::kJoined) {
    SendErrorLocked(absl::FailedPreconditionError(absl::StrCat(
                        "already joined room \"", room_->name(),
                        "\"; a stream joins one room, open another stream for another room")),
                    "", notes);
    return;
  }
  absl::Status status = ValidateRoomName(join.room());
  absl::StatusOr<chat::v1::User> user = MakeUser(join.email(), join.name());
  if (status.ok() && !user.ok()) {
    status = user.status();
  }
  for (int attempt = 0; status.ok() && attempt < kJoinAttempts; ++attempt) {
    absl::StatusOr<std::shared_ptr<Room>> room = rooms_->GetOrCreate(join.room());
    if (!room.ok()) {
      status = room.status();
      break;
    }
    chat::v1::ServerEvent welcome;
    status = (*room)->Join(conn_id_, this, *user, join.after_seq(), &welcome, notes);
    if (absl::IsAborted(status)) {
      status = absl::UnavailableError("the room was being recycled; join again");
      continue;
    }
    if (!status.ok()) {
      break;
    }
    room_ = *std::move(room);
    user_ = *std::move(user);
    if (!welcome.has_welcome()) {
      state_ = State::kJoining;  // a shared room still syncing: OnJoined follows
      return;
    }
    state_ = State::kJoined;
    Log("join %s", DescribeLocked());
    EnqueuePrivateLocked(welcome, /*counted=*/false, notes);
    MaybeStartWriteLocked(notes);
    return;
  }
  Log("error %s: join refused: %s", DescribeLocked(), status.ToString());
  FinishLocked(status, /*abort=*/false, notes);
}

void ChatSession::HandleSendLocked(const chat::v1::Send& send, Notifications* notes) {
  if (absl::Status status = ValidateClientId(send.client_id(), options_.max_client_id_bytes);
      !status.ok()) {
    SendErrorLocked(status, "", notes);
    return;
  }
  if (absl::Status status = ValidateMessageText(send.text(), options_.max_text_bytes);
      !status.ok()) {
    SendErrorLocked(status, send.client_id(), notes);
    return;
  }
  if (!send_bucket_.TryTake(absl::Now())) {
    SendErrorLocked(absl::ResourceExhaustedError(absl::StrCat(
                        "rate limit: at most ", options_.rate_per_second,
                        " messages per second (burst ", options_.rate_burst,
                        "); message not sent")),
                    send.client_id(), notes);
    return;
  }
  rate_limit_logged_ = false;
  absl::StatusOr<chat::v1::ChatMessage> message =
      room_->Post(user_, send.text(), send.client_id(), conn_id_, notes);
  if (!message.ok()) {
    SendErrorLocked(message.status(), send.client_id(), notes);
  }
}

void ChatSession::HandleTypingLocked(const chat::v1::Typing& typing, Notifications* notes) {
  if (!typing_bucket_.TryTake(absl::Now())) {
    return;
  }
  room_->SetTyping(conn_id_, typing.active(), notes);
}

void ChatSession::SendErrorLocked(const absl::Status& status, absl::string_view client_id,
                                  Notifications* notes) {
  // A flood of rate-limited sends logs once, not once per message.
  const bool rate_limited = absl::IsResourceExhausted(status);
  if (!rate_limited || !rate_limit_logged_) {
    Log("error %s: %s", DescribeLocked(), status.ToString());
  }
  rate_limit_logged_ = rate_limit_logged_ || rate_limited;
  chat::v1::ServerEvent event;
  chat::v1::Error* error = event.mutable_error();
  error->set_code(StatusCodeName(status.code()));
  error->set_message(std::string(status.message()));
  error->set_client_id(std::string(client_id));
  EnqueuePrivateLocked(event, /*counted=*/true, notes);
  MaybeStartWriteLocked(notes);
}

void ChatSession::EnqueuePrivateLocked(const chat::v1::ServerEvent& event, bool counted,
                                       Notifications* notes) {
  if (state_ == State::kFinished) {
    return;
  }
  grpc::Slice bytes = SerializeToSlice(event);
  if (counted) {
    if (private_bytes_ + bytes.size() > options_.max_outbound_bytes) {
      Log("error %s: dropped: slow consumer (private queue full)", DescribeLocked());
      FinishLocked(SlowConsumerStatus(), /*abort=*/true, notes);
      return;
    }
    private_bytes_ += bytes.size();
  }
  private_.push_back(PrivateEvent{std::move(bytes), counted});
}

void ChatSession::MaybeStartWriteLocked(Notifications* notes) {
  if (writing_ || state_ == State::kFinished) {
    return;
  }
  std::vector<grpc::Slice> batch;
  size_t bytes = 0;
  while (!private_.empty() && batch.size() < options_.max_batch_events &&
         bytes < options_.max_batch_bytes) {
    PrivateEvent& event = private_.front();
    bytes += event.bytes.size();
    if (event.counted) {
      private_bytes_ -= event.bytes.size();
    }
    batch.push_back(std::move(event.bytes));
    private_.pop_front();
  }
  if (state_ == State::kJoined) {
    const size_t room_events = options_.max_batch_events - batch.size();
    const size_t room_bytes = bytes < options_.max_batch_bytes ? options_.max_batch_bytes - bytes : 0;
    const Room::CollectResult result = room_->Collect(conn_id_, room_events, room_bytes,
                                                      /*register_if_idle=*/batch.empty(),
                                                      &batch, notes);
    if (result == Room::CollectResult::kSlowConsumer) {
      Log("error %s: dropped: slow consumer", DescribeLocked());
      FinishLocked(SlowConsumerStatus(), /*abort=*/true, notes);
      return;
    }
  }
  if (batch.empty()) {
    return;
  }
  writing_ = true;
  transport_->Write(std::move(batch));
}

void ChatSession::FinishLocked(const absl::Status& status, bool abort, Notifications* notes) {
  if (EndLocked(status, notes)) {
    transport_->Finish(status, abort);
  }
}

bool ChatSession::EndLocked(const absl::Status& status, Notifications* notes) {
  if (state_ == State::kFinished) {
    return false;
  }
  if (state_ == State::kJoined || state_ == State::kJoining) {
    room_->Leave(conn_id_, notes);
  }
  state_ = State::kFinished;
  final_status_ = status;
  private_.clear();
  private_bytes_ = 0;
  return true;
}

std::string ChatSession::DescribeLocked() const {
  if (room_ == nullptr) {
    return absl::StrCat("conn=", conn_id_, " peer=", peer_);
  }
  return absl::StrCat("conn=", conn_id_, " room=", room_->name(), " user=", user_.name(),
                      " id=", user_.id());
}

}  // namespace roomd
