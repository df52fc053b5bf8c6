#include "roomd/grpc/chat_session.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "roomd/core/event_codec.h"
#include "roomd/core/identity.h"
#include "roomd/core/logger.h"
#include "roomd/core/roomd_metrics.h"
#include "roomd/core/validation.h"
#include "roomd/grpc/status_convert.h"

namespace roomd {
namespace {

// A room can be recycled (closed while empty) between lookup and join; look it up again.
constexpr int kJoinAttempts = 3;
// Join.epoch is an epoch roomd gave out (16 hex digits); anything much longer is refused.
constexpr size_t kMaxEpochBytes = 64;

// A hinted write answered later than this was held for a write of the connection already in
// progress (chttp2 completes a send that may share that write only after it): the
// connection is busy with other streams, and hints would only delay the pass's bytes.
constexpr absl::Duration kHintedWriteBudget = absl::Milliseconds(1);

// Messages in a history_page answer that names no limit.
constexpr uint32_t kDefaultPageLimit = 50;

absl::Status SlowConsumerStatus() { return absl::ResourceExhaustedError("slow consumer"); }

}  // namespace

ChatSession::ChatSession(SessionTransport* transport, std::string peer,
                         const ServerOptions& options, RoomRegistry* rooms,
                         SessionTracker* tracker, Timer* timer,
                         const auth::Authenticator* auth, std::string metadata_token)
    : transport_(transport),
      options_(options),
      rooms_(rooms),
      tracker_(tracker),
      conn_id_(tracker->NextConnId()),
      peer_(std::move(peer)),
      timer_(timer),
      auth_(auth),
      metadata_token_(std::move(metadata_token)),
      send_bucket_(options.rate_per_second, options.rate_burst, absl::Now()),
      typing_bucket_(options.rate_per_second, options.rate_burst, absl::Now()),
      page_bucket_(options.rate_per_second, options.rate_burst, absl::Now()) {}

void ChatSession::Start() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  kind_ = transport_->kind();
  RoomdMetrics::Get().ConnectionOpened(kind_);
  if (absl::Status admitted = tracker_->Add(this); !admitted.ok()) {
    Log("error conn=%d peer=%s: %s", conn_id_, peer_, admitted.ToString());
    FinishLocked(admitted, /*abort=*/false, &notes);
    return;
  }
  LogEvent("connect", {{"conn", absl::StrCat(conn_id_)}, {"peer", peer_}});
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
  RoomdMetrics::Get().Joined();
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

void ChatSession::OnSendDuplicate(const chat::v1::ChatMessage& original) {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  if (state_ == State::kJoined) {
    SendEchoLocked(original, &notes);
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

void ChatSession::OnTokenDeadline() {
  Notifications notes;
  chat::MutexLock lock(&mu_);
  token_deadline_armed_ = false;
  if (state_ == State::kFinished) {
    return;
  }
  if (absl::Now() < token_deadline_) {
    ArmTokenDeadlineLocked();  // refreshed meanwhile
    return;
  }
  const absl::Status status = absl::UnauthenticatedError("token expired");
  Log("error %s: %s", DescribeLocked(), status.ToString());
  FinishLocked(status, /*abort=*/true, &notes);
}

void ChatSession::ArmTokenDeadlineLocked() {
  if (token_deadline_armed_ || token_deadline_ == absl::InfiniteFuture()) {
    return;
  }
  token_deadline_armed_ = true;
  Ref();
  std::shared_ptr<ChatSession> self(this, [](ChatSession* session) { session->Unref(); });
  timer_->Schedule(token_deadline_, [self] { self->OnTokenDeadline(); });
}

absl::StatusOr<chat::v1::User> ChatSession::AuthenticateJoinLocked(const chat::v1::Join& join) {
  absl::StatusOr<auth::Claims> claims =
      auth_->Verify(join.token().empty() ? absl::string_view(metadata_token_) : join.token());
  if (!claims.ok()) {
    return claims.status();
  }
  if (absl::Status status = auth::CheckRoom(*claims, join.room()); !status.ok()) {
    return status;
  }
  absl::StatusOr<chat::v1::User> user = auth::UserFromClaims(*claims);
  if (user.ok()) {
    subject_ = claims->subject;
    token_deadline_ = claims->expires_at + auth_->leeway();
  }
  return user;
}

void ChatSession::HandleRefreshLocked(const chat::v1::Refresh& refresh, Notifications* notes) {
  if (!auth_->jwt()) {
    SendErrorLocked(absl::FailedPreconditionError("refresh needs --auth=jwt"), "", notes);
    return;
  }
  // Each refresh costs a signature check: the typing bucket bounds them.
  if (!typing_bucket_.TryTake(absl::Now())) {
    SendErrorLocked(absl::ResourceExhaustedError("refresh rate limit"), "", notes);
    return;
  }
  absl::StatusOr<auth::Claims> claims = auth_->Verify(refresh.token());
  if (!claims.ok()) {
    SendErrorLocked(claims.status(), "", notes);
    return;
  }
  if (claims->subject != subject_) {
    SendErrorLocked(absl::PermissionDeniedError("the refreshed token is for another sub"), "",
                    notes);
    return;
  }
  if (absl::Status status = auth::CheckRoom(*claims, room_->name()); !status.ok()) {
    Log("error %s: refresh: %s", DescribeLocked(), status.ToString());
    FinishLocked(status, /*abort=*/false, notes);
    return;
  }
  token_deadline_ = claims->expires_at + auth_->leeway();
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
  if (hinted_at_ != absl::InfinitePast() && absl::Now() - hinted_at_ > kHintedWriteBudget) {
    hinting_ = false;  // the rest of this pass goes out write by write
  }
  hinted_at_ = absl::InfinitePast();
  MaybeStartWriteLocked(&notes);
}

void ChatSession::OnDone() {
  {
    Notifications notes;
    chat::MutexLock lock(&mu_);
    // The transport broke before the session said its last word (a relay that failed):
    // leave the room, and never touch the transport again.
    EndLocked(absl::CancelledError("transport lost"), &notes);
    LogEvent("disconnect",
             {{"conn", absl::StrCat(conn_id_)},
              {"peer", peer_},
              {"room", room_ == nullptr ? "" : room_->name()},
              {"user_id", user_ == nullptr ? "" : user_->id()},
              {"duration_s", absl::StrFormat("%.3f", absl::ToDoubleSeconds(absl::Now() - started_))},
              {"code", absl::StatusCodeToString(final_status_.code())},
              {"reason", std::string(final_status_.message())}});
    RoomdMetrics::Get().ConnectionClosed(kind_, final_status_);
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
    case chat::v1::ClientEvent::kPresencePage:
      HandlePresencePageLocked(event.presence_page(), notes);
      return;
    case chat::v1::ClientEvent::kHistoryPage:
      HandleHistoryPageLocked(event.history_page(), notes);
      return;
    case chat::v1::ClientEvent::kLeave:
      Log("leave %s", DescribeLocked());
      FinishLocked(absl::OkStatus(), /*abort=*/false, notes);
      return;
    case chat::v1::ClientEvent::kRefresh:
      HandleRefreshLocked(event.refresh(), notes);
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
  if (status.ok() && join.epoch().size() > kMaxEpochBytes) {
    status = absl::InvalidArgumentError(
        absl::StrCat("epoch is longer than ", kMaxEpochBytes, " bytes; pass Welcome.epoch back"));
  }
  // The token, when tokens are in use, proves who joins (the email and name are ignored).
  absl::StatusOr<chat::v1::User> user = !status.ok()     ? absl::StatusOr<chat::v1::User>(status)
                                        : auth_->jwt() ? AuthenticateJoinLocked(join)
                                                       : MakeUser(join.email(), join.name());
  if (status.ok() && !user.ok()) {
    status = user.status();
  }
  const UserRef shared_user = status.ok() ? MakeUserRef(*std::move(user)) : nullptr;
  for (int attempt = 0; status.ok() && attempt < kJoinAttempts; ++attempt) {
    absl::StatusOr<std::shared_ptr<Room>> room = rooms_->GetOrCreate(join.room());
    if (!room.ok()) {
      status = room.status();
      break;
    }
    chat::v1::ServerEvent welcome;
    bool fed = false;
    status = (*room)->Join(conn_id_, this, shared_user, join.after_seq(), &welcome, notes,
                           join.epoch(), transport_->FeedFor(*room), &fed);
    if (absl::IsAborted(status)) {
      status = absl::UnavailableError("the room was being recycled; join again");
      continue;
    }
    if (!status.ok()) {
      break;
    }
    room_ = *std::move(room);
    user_ = shared_user;
    ArmTokenDeadlineLocked();
    batches_ = join.accept_batches() || transport_->AlwaysBatches();
    fed_ = fed;
    if (!fed && !welcome.has_welcome()) {
      state_ = State::kJoining;  // a shared room still syncing: OnJoined follows
      return;
    }
    state_ = State::kJoined;
    RoomdMetrics::Get().Joined();
    Log("join %s", DescribeLocked());
    if (!fed) {
      EnqueuePrivateLocked(welcome, /*counted=*/false, notes);  // else the feed carries it
    }
    MaybeStartWriteLocked(notes);
    return;
  }
  Log("error %s: join refused: %s", DescribeLocked(), status.ToString());
  FinishLocked(status, /*abort=*/false, notes);
}

void ChatSession::HandleSendLocked(const chat::v1::Send& send, Notifications* notes) {
  if (absl::Status status = ValidateClientId(send.client_id(), options_.max_client_id_bytes);
      !status.ok()) {
    RoomdMetrics::Get().MessageRejected(status);
    SendErrorLocked(status, "", notes);
    return;
  }
  if (absl::Status status = ValidateMessageText(send.text(), options_.max_text_bytes);
      !status.ok()) {
    RoomdMetrics::Get().MessageRejected(status);
    SendErrorLocked(status, send.client_id(), notes);
    return;
  }
  if (!send_bucket_.TryTake(absl::Now())) {
    RoomdMetrics::Get().MessageRejected(absl::ResourceExhaustedError(""));
    SendErrorLocked(absl::ResourceExhaustedError(absl::StrCat(
                        "rate limit: at most ", options_.rate_per_second,
                        " messages per second (burst ", options_.rate_burst,
                        "); message not sent")),
                    send.client_id(), notes);
    return;
  }
  rate_limit_logged_ = false;
  bool duplicate = false;
  absl::StatusOr<chat::v1::ChatMessage> message =
      room_->Post(*user_, send.text(), send.client_id(), conn_id_, notes, &duplicate);
  if (!message.ok()) {
    RoomdMetrics::Get().MessageRejected(message.status());
    SendErrorLocked(message.status(), send.client_id(), notes);
  } else if (duplicate) {
    SendEchoLocked(*message, notes);
  }
}

void ChatSession::SendEchoLocked(const chat::v1::ChatMessage& original, Notifications* notes) {
  chat::v1::ServerEvent event;
  *event.mutable_message() = original;
  EnqueuePrivateLocked(event, /*counted=*/true, notes);
  MaybeStartWriteLocked(notes);
}

void ChatSession::HandleTypingLocked(const chat::v1::Typing& typing, Notifications* notes) {
  if (!typing_bucket_.TryTake(absl::Now())) {
    return;
  }
  room_->SetTyping(conn_id_, typing.active(), notes);
}

void ChatSession::HandlePresencePageLocked(const chat::v1::PresencePageRequest& request,
                                           Notifications* notes) {
  if (!page_bucket_.TryTake(absl::Now())) {
    SendErrorLocked(absl::ResourceExhaustedError(absl::StrCat(
                        "rate limit: at most ", options_.rate_per_second,
                        " presence pages per second; page not sent")),
                    "", notes);
    return;
  }
  absl::StatusOr<chat::v1::GetPresenceResponse> page =
      room_->PresencePage(request.page_size(), request.page_token());
  if (!page.ok()) {
    SendErrorLocked(page.status(), "", notes);
    return;
  }
  chat::v1::ServerEvent event;
  *event.mutable_presence_page() = *std::move(page);
  EnqueuePrivateLocked(event, /*counted=*/true, notes);
  MaybeStartWriteLocked(notes);
}

void ChatSession::HandleHistoryPageLocked(const chat::v1::HistoryPageRequest& request,
                                          Notifications* notes) {
  if (state_ != State::kJoined) {
    SendErrorLocked(absl::FailedPreconditionError("history_page needs a completed join"), "",
                    notes);
    return;
  }
  if (absl::Status status = ValidateHistoryPage(0, request.before_seq(), request.limit());
      !status.ok()) {
    SendErrorLocked(status, "", notes);
    return;
  }
  // A store read: short and indexed (one page of one room), so done inline.
  // before_seq 0: the newest page.
  absl::StatusOr<chat::v1::GetHistoryResponse> page =
      room_->Page(0, request.before_seq() != 0 ? request.before_seq() : ~uint64_t{0},
                  request.limit() != 0 ? request.limit() : kDefaultPageLimit);
  if (!page.ok()) {
    SendErrorLocked(page.status(), "", notes);
    return;
  }
  // A page of the largest messages still fits the outbound limit: the oldest make way (the
  // client asks again from the first seq it got).
  size_t bytes = page->ByteSizeLong();
  int drop = 0;
  while (bytes > options_.max_outbound_bytes / 4 && drop < page->messages_size()) {
    bytes -= page->messages(drop++).ByteSizeLong();
  }
  page->mutable_messages()->DeleteSubrange(0, drop);
  chat::v1::ServerEvent event;
  *event.mutable_history_page() = *std::move(page);
  EnqueuePrivateLocked(event, /*counted=*/true, notes);
  MaybeStartWriteLocked(notes);
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
  if (fed_ && state_ == State::kJoined && room_->SendToFed(conn_id_, bytes, notes)) {
    return;  // the feed carries it after the Welcome, within the feed's outbound limit
  }
  if (counted) {
    if (private_bytes_ + bytes.size() > options_.max_outbound_bytes) {
      Log("error %s: dropped: slow consumer (private queue full)", DescribeLocked());
      RoomdMetrics::Get().slow_consumers->Inc();
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
  if (!unbatched_.empty()) {
    WriteNextUnbatchedLocked();
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
  if (private_.empty()) {
    private_.clear();  // the Welcome's ring is not kept for a session that may stay idle
  }
  if (state_ == State::kJoined && !fed_) {
    const size_t room_events = options_.max_batch_events - batch.size();
    const size_t room_bytes = bytes < options_.max_batch_bytes ? options_.max_batch_bytes - bytes : 0;
    const Room::CollectResult result = room_->Collect(conn_id_, room_events, room_bytes,
                                                      /*register_if_idle=*/batch.empty(),
                                                      &batch, notes);
    if (result == Room::CollectResult::kSlowConsumer) {
      Log("error %s: dropped: slow consumer", DescribeLocked());
      RoomdMetrics::Get().slow_consumers->Inc();
      FinishLocked(SlowConsumerStatus(), /*abort=*/true, notes);
      return;
    }
  }
  if (batch.empty()) {
    return;
  }
  RoomdMetrics::Get().Wrote(batch);
  if (batches_ || batch.size() == 1) {
    writing_ = true;
    transport_->Write(std::move(batch), /*more=*/false);
    return;
  }
  // Serialized once already: each event's write only references its slice. gRPC allows one
  // write in flight per stream; each but the pass's last is written with `more` (a buffer
  // hint), which chttp2 completes at once without a flush when the connection is not
  // writing, so the pass costs one flush. On a connection busy with other streams chttp2
  // holds every completion until its write in progress ends, hinted or not: a hinted write
  // that took longer than kHintedWriteBudget ends the hints for the pass, so its bytes are
  // not held back for nothing (docs/benchmarks.md, F-grpc).
  hinting_ = true;
  for (grpc::Slice& slice : batch) {
    unbatched_.push_back(std::move(slice));
  }
  WriteNextUnbatchedLocked();
}

void ChatSession::WriteNextUnbatchedLocked() {
  std::vector<grpc::Slice> one;
  one.push_back(std::move(unbatched_.front()));
  unbatched_.pop_front();
  writing_ = true;
  // The last of the pass goes without the hint, so nothing stays held for a write that
  // may never come.
  const bool more = hinting_ && !unbatched_.empty();
  if (more) {
    hinted_at_ = absl::Now();
  }
  transport_->Write(std::move(one), more);
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
  if (state_ == State::kJoined) {
    RoomdMetrics::Get().Left();
  }
  state_ = State::kFinished;
  final_status_ = status;
  unbatched_.clear();
  private_.clear();
  private_bytes_ = 0;
  return true;
}

std::string ChatSession::DescribeLocked() const {
  if (room_ == nullptr) {
    return absl::StrCat("conn=", conn_id_, " peer=", peer_);
  }
  // The user by id only: the name is the email's local part unless the user chose one.
  return absl::StrCat("conn=", conn_id_, " room=", room_->name(), " id=", user_->id());
}

}  // namespace roomd
