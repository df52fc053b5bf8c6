#include "wsbridge/websocket/websocket_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "wsbridge/codec/welcome_who.h"
#include "wsbridge/http/url.h"
#include "wsbridge/log.h"
#include "wsbridge/bridge_metrics.h"
#include "wsbridge/websocket/close_codes.h"
#include "wsbridge/websocket/control_frame.h"
#include "wsbridge/websocket/frame_inflater.h"
#include "wsbridge/websocket/query_join.h"

namespace wsbridge {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

// Bad frames logged per session; the rest are only answered, so a flood cannot fill logs.
constexpr int kMaxLoggedBadFrames = 3;
// A plain browser is read into its loop's buffer, this large, once its socket is readable,
// so a silent one holds no buffer; the reader keeps only what an unfinished frame needs.
constexpr std::size_t kLoopReadBytes = 16 * 1024;
// Reads of a full buffer in a row before the loop's other work gets a turn.
constexpr int kMaxReadsPerWake = 4;
// Over TLS the read in flight needs a buffer of its own while the browser is silent: small,
// as before (a longer frame takes a few reads).
constexpr std::size_t kTlsReadBytes = 256;
// One write carries at most this many queued events / bytes (a lone event may be larger).
constexpr std::size_t kMaxBatchEvents = 256;
constexpr std::size_t kMaxBatchBytes = 64 * 1024;
// A batch buffer that grew past this is given back after its write (idle memory).
constexpr std::size_t kKeptBatchBufferBytes = 4 * 1024;
// Likewise the capacity of the drained inbox (runs of frames, one per relay read).
constexpr std::size_t kKeptInboxRuns = 64;

char* LoopReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer =
      std::make_unique_for_overwrite<char[]>(kLoopReadBytes);
  return buffer.get();
}

// Where a loop compresses a frame for a browser that negotiated permessage-deflate: like
// the batch scratch, free again once TryWriteFrame returns.
std::string& LoopDeflateScratch() {
  thread_local std::string scratch;
  return scratch;
}

// Frames smaller than this go out as they are: deflate's block header and the flush cost
// about as much as they could save.
constexpr std::size_t kMinDeflateBytes = 32;

// Where a loop puts a run of whole frames to seal together (WriteSealedRun); like the
// scratches above, free again once TryWriteFrames returns.
std::string& LoopSealedRunScratch() {
  thread_local std::string scratch;
  return scratch;
}

// Passes a frame written at once counts as in flight: one, like an asynchronous write whose
// completion was queued. Over TLS eight: each frame costs both ends a record to seal and
// open (OpenSSL's set-up per record shows on both), so a browser over TLS waits a few more
// of the loop's passes and its frames carry more deliveries. At the fan-out's full load
// eight passes gave 10% more deliveries/s than three with 15% less CPU per delivery and no
// longer latency; at 10 and 2 messages/s per sender, the same latency (a pass is a post
// to the loop: an idle loop runs eight in microseconds). docs/performance.md section 11.
constexpr int kSettlePasses = 1;
constexpr int kSealedSettlePasses = 8;

// Where a loop builds batch frames: a direct write is done with its buffer on return, so
// all the loop's browsers share one (no allocation per frame, no buffer per browser). It
// only grows, to the largest batch: about kMaxBatchBytes (a lone event is not copied).
class LoopBatchScratch {
 public:
  static char* Get(std::size_t size) {
    thread_local LoopBatchScratch scratch;
    if (size > scratch.capacity_) {
      scratch.capacity_ = std::max(size, 2 * scratch.capacity_);
      scratch.bytes_ = std::make_unique_for_overwrite<char[]>(scratch.capacity_);
    }
    return scratch.bytes_.get();
  }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_ = 0;
};

std::uint64_t NextSessionId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::string PeerOf(const net::ip::tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  return absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

std::string StatusCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string FormatSeconds(absl::Duration duration) {
  return absl::FormatDuration(absl::Trunc(duration, absl::Milliseconds(1)));
}

absl::string_view ReasonText(const websocket::close_reason& reason) {
  return absl::string_view(reason.reason.data(), reason.reason.size());
}

}  // namespace

WebSocketSession::WebSocketSession(net::ip::tcp::socket&& socket, const BridgeContext& context)
    : WebSocketSession(DirectWriteSocket(std::move(socket)), context) {}

WebSocketSession::WebSocketSession(std::unique_ptr<TlsStream> tls, const BridgeContext& context)
    : WebSocketSession(DirectWriteSocket(std::move(tls)), context) {}

WebSocketSession::WebSocketSession(DirectWriteSocket&& socket, const BridgeContext& context)
    : context_(context),
      membership_(context.sessions, this),
      id_(NextSessionId()),
      strand_(socket.get_executor()),
      peer_(PeerOf(socket.next_layer())),
      socket_(std::move(socket)),
      deadlines_(strand_),
      reader_({.max_kept_bytes = context.options->max_frame_bytes,
               // Longer ones are not even read to be discarded: the connection fails (1009).
               .max_message_bytes =
                   context.options->max_frame_bytes * BridgeOptions::kDiscardFactor}) {}

WebSocketSession::~WebSocketSession() {
  if (roomd_ && roomd_phase_ != RoomdPhase::kDone) {
    roomd_->Cancel();  // only when torn down early (shutdown); normally roomd is done
  }
  if (phase_ != Phase::kUpgrading && phase_ != Phase::kRefused) {
    LogEvent("disconnect",
             {{"conn", absl::StrCat(id_)},
              {"peer", peer_},
              {"room", room_},
              {"user_id", user_id_},
              {"duration_s", absl::StrFormat("%.3f", absl::ToDoubleSeconds(absl::Now() - opened_))},
              {"code", absl::StrCat(close_code_)},
              {"reason", end_note_}});
    BridgeMetrics::Get().Closed(close_code_);
  }
}

bool WebSocketSession::Enter(Phase next) {
  bool allowed = false;
  switch (phase_) {
    case Phase::kUpgrading:
      allowed = next == Phase::kOpen || next == Phase::kRefused;
      break;
    case Phase::kOpen:
      allowed =
          next == Phase::kClosing || next == Phase::kTearingDown || next == Phase::kFinished;
      break;
    case Phase::kClosing:
      allowed =
          next == Phase::kCloseSent || next == Phase::kTearingDown || next == Phase::kFinished;
      break;
    case Phase::kCloseSent:
      allowed = next == Phase::kTearingDown || next == Phase::kFinished;
      break;
    case Phase::kTearingDown:
      allowed = next == Phase::kFinished;
      break;
    case Phase::kFinished:
    case Phase::kRefused:
      break;
  }
  if (!allowed) {
    return false;
  }
  phase_ = next;
  switch (next) {
    case Phase::kUpgrading:
    case Phase::kRefused:
      break;
    case Phase::kOpen:
      opened_ = absl::Now();
      LogEvent("connect", {{"conn", absl::StrCat(id_)},
                           {"peer", peer_},
                           {"path", std::string(TargetPath(target_))}});
      BridgeMetrics::Get().Opened();
      break;
    case Phase::kClosing:
      deadlines_.Clear(SessionDeadlines::Kind::kPing);
      deadlines_.Clear(SessionDeadlines::Kind::kJoin);
      EnterRoomd(RoomdPhase::kEnding);
      SetDeadline(SessionDeadlines::Kind::kClose, context_.options->handshake_timeout);
      if (read_ == ReadState::kPaused) {
        // roomd no longer matters, and the browser's answer to our close must be read.
        read_ = ReadState::kIdle;
        net::post(strand_, [self = shared_from_this()] { self->DoRead(); });
      }
      break;
    case Phase::kCloseSent:
      AppendCloseFrame(*close_reason_, &control_out_);  // DoWrite sends it
      break;
    case Phase::kTearingDown:
      queue_.Clear();
      deadlines_.Clear(SessionDeadlines::Kind::kPing);
      deadlines_.Clear(SessionDeadlines::Kind::kJoin);
      EnterRoomd(RoomdPhase::kEnding);
      if (!deadlines_.IsSet(SessionDeadlines::Kind::kClose)) {
        SetDeadline(SessionDeadlines::Kind::kClose, context_.options->handshake_timeout);
      }
      break;
    case Phase::kFinished: {
      queue_.Clear();
      deadlines_.Clear(SessionDeadlines::Kind::kPing);
      deadlines_.Clear(SessionDeadlines::Kind::kJoin);
      deadlines_.Clear(SessionDeadlines::Kind::kClose);
      beast::error_code ignored;
      net::ip::tcp::socket& socket = socket_.next_layer();
      socket.shutdown(net::socket_base::shutdown_both, ignored);
      socket.close(ignored);
      EnterRoomd(RoomdPhase::kEnding);
      break;
    }
  }
  return true;
}

bool WebSocketSession::EnterRoomd(RoomdPhase next) {
  bool allowed = false;
  switch (roomd_phase_) {
    case RoomdPhase::kNone:
      allowed = next == RoomdPhase::kAwaitingWelcome;
      break;
    case RoomdPhase::kAwaitingWelcome:
      allowed = next != RoomdPhase::kNone && next != RoomdPhase::kAwaitingWelcome;
      break;
    case RoomdPhase::kWelcomed:
      allowed = next == RoomdPhase::kEnding || next == RoomdPhase::kDone;
      break;
    case RoomdPhase::kEnding:
      allowed = next == RoomdPhase::kDone;
      break;
    case RoomdPhase::kDone:
      break;
  }
  if (!allowed) {
    return false;
  }
  roomd_phase_ = next;
  switch (next) {
    case RoomdPhase::kNone:
      break;
    case RoomdPhase::kAwaitingWelcome:
      roomd_ = context_.roomd->StartChat(weak_from_this());
      SetDeadline(SessionDeadlines::Kind::kJoin, context_.options->join_timeout);
      break;
    case RoomdPhase::kWelcomed:
      deadlines_.Clear(SessionDeadlines::Kind::kJoin);
      break;
    case RoomdPhase::kEnding:
      roomd_->CloseWrites();  // roomd gets every frame already read, then the end of stream
      SetDeadline(SessionDeadlines::Kind::kLinger, context_.options->roomd_finish_timeout);
      break;
    case RoomdPhase::kDone:
      deadlines_.Clear(SessionDeadlines::Kind::kLinger);
      break;
  }
  return true;
}

void WebSocketSession::Run(beast::http::request<beast::http::string_body> request) {
  const BridgeOptions& options = *context_.options;
  target_ = std::string(request.target());
  context_.sessions->Add(shared_from_this());

  handshake_ = std::make_unique<Handshake>(socket_);
  handshake_->set_option(websocket::stream_base::timeout{
      absl::ToChronoMilliseconds(options.handshake_timeout),
      websocket::stream_base::none(), /*keep_alive_pings=*/false});
  auto decorate = [this](websocket::response_type& response) {
    response.set(beast::http::field::server, "wsbridge");
    // Beast has negotiated by now: its answer says how this bridge may compress.
    const beast::string_view extensions =
        response[beast::http::field::sec_websocket_extensions];
    deflate_agreement_ =
        ParseDeflateAgreement(absl::string_view(extensions.data(), extensions.size()));
  };
  handshake_->set_option(websocket::stream_base::decorator(std::move(decorate)));
  if (options.permessage_deflate) {
    websocket::permessage_deflate deflate;
    deflate.server_enable = true;
    deflate.server_max_window_bits = FrameDeflater::kWindowBits;
    // What the browser compresses, FrameInflater inflates: a small window keeps it small.
    deflate.client_max_window_bits = FrameDeflater::kWindowBits;
    // Beast's own writes (errors, close) stay plain; FrameDeflater compresses the frames.
    deflate.msg_size_threshold = std::numeric_limits<std::size_t>::max();
    handshake_->set_option(deflate);
  }
  if (options.socket_send_buffer_bytes > 0) {
    beast::error_code ec;
    socket_.next_layer().set_option(
        net::socket_base::send_buffer_size(options.socket_send_buffer_bytes), ec);
  }
  handshake_->async_accept(
      request, beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
}

void WebSocketSession::GoAway() {
  net::post(strand_, [self = shared_from_this()] {
    self->StartClose(MakeCloseReason(kCloseGoingAway, "going away"), /*drain=*/true);
  });
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  // Beast's stream (about 3 KB) is done; it goes once its operation has returned.
  net::post(strand_, [self = shared_from_this()] { self->handshake_.reset(); });
  if (ec) {
    Fail(ec, "upgrade");
    Enter(Phase::kRefused);
    return;
  }
  Enter(Phase::kOpen);
  // Only the join below needs it: an open connection keeps no copy.
  const std::string target = std::exchange(target_, std::string());
  if (deflate_agreement_) {
    deflater_ = std::make_unique<FrameDeflater>(*deflate_agreement_);
    reader_.set_inflater(std::make_unique<FrameInflater>(
        deflate_agreement_->client_max_window_bits, deflate_agreement_->client_context_takeover));
  }
  if (close_reason_) {  // GoAway arrived during the upgrade: no roomd stream for this one
    Enter(Phase::kClosing);
    DoWrite();
    DoRead();
    return;
  }
  EnterRoomd(RoomdPhase::kAwaitingWelcome);
  SetDeadline(SessionDeadlines::Kind::kPing, context_.options->ping_interval);

  auto join = JoinFromTarget(target);
  if (!join.ok()) {
    ReplyError(join.status().message());
  } else if (join->has_value()) {
    chat::v1::ClientEvent event;
    *event.mutable_join() = std::move(**join);
    NoteJoin(event.mutable_join());
    WriteToRoomd(std::move(event));
  }
  DoRead();
}

void WebSocketSession::DoRead() {
  if (read_ != ReadState::kIdle || phase_ == Phase::kTearingDown || phase_ == Phase::kFinished) {
    return;
  }
  if (reader_.held_bytes() > 0 && !HandleReadResult(reader_.Resume(*this))) {
    return;
  }
  if (socket_.tls() != nullptr) {
    if (tls_read_buffer_ == nullptr) {
      tls_read_buffer_ = std::make_unique_for_overwrite<char[]>(kTlsReadBytes);
    }
    read_ = ReadState::kReading;
    socket_.async_read_some(
        net::buffer(tls_read_buffer_.get(), kTlsReadBytes),
        beast::bind_front_handler(&WebSocketSession::OnTlsRead, shared_from_this()));
    return;
  }
  ReadAvailable();
}

void WebSocketSession::ReadAvailable() {
  char* const buffer = LoopReadBuffer();
  const int fd = socket_.next_layer().native_handle();
  int full_reads = 0;
  for (;;) {
    const ssize_t got = ::recv(fd, buffer, kLoopReadBytes, MSG_DONTWAIT);
    if (got > 0) {
      if (!HandleReadResult(reader_.Feed(buffer, static_cast<std::size_t>(got), *this))) {
        return;
      }
      if (static_cast<std::size_t>(got) < kLoopReadBytes) {
        break;  // the socket is empty: the next bytes make it readable again
      }
      if (++full_reads == kMaxReadsPerWake) {
        // More may wait, which a wait would not report: read on after the loop's other work.
        read_ = ReadState::kReading;
        net::post(strand_, [self = shared_from_this()] {
          self->read_ = ReadState::kIdle;
          self->DoRead();
        });
        return;
      }
      continue;
    }
    if (got == 0) {
      HandleReadError(net::error::eof);
      return;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      HandleReadError(beast::error_code(errno, boost::system::system_category()));
      return;
    }
    break;
  }
  read_ = ReadState::kReading;
  // The wait an idle browser holds: a block of its own size (ExactAllocator says why).
  socket_.next_layer().async_wait(
      net::socket_base::wait_read,
      net::bind_allocator(ExactAllocator<void>(),
                          beast::bind_front_handler(&WebSocketSession::OnReadable,
                                                    shared_from_this())));
}

void WebSocketSession::OnReadable(beast::error_code ec) {
  read_ = ReadState::kIdle;
  if (ec) {
    HandleReadError(ec);
    return;
  }
  DoRead();
}

void WebSocketSession::OnTlsRead(beast::error_code ec, std::size_t bytes) {
  read_ = ReadState::kIdle;
  if (ec) {
    HandleReadError(ec);
    return;
  }
  if (HandleReadResult(reader_.Feed(tls_read_buffer_.get(), bytes, *this))) {
    DoRead();
  }
}

bool WebSocketSession::HandleReadResult(FrameReader::Result result) {
  switch (result) {
    case FrameReader::Result::kMore:
      return phase_ != Phase::kTearingDown && phase_ != Phase::kFinished;
    case FrameReader::Result::kStopped:
      if (read_ == ReadState::kPaused) {
        return false;  // until OnRoomdWritable
      }
      if (reader_.held_bytes() == 0) {
        return true;
      }
      // More frames came in the same read: they wait for a turn of the loop, as with
      // Beast's reads, so what was queued meanwhile (the bridge's own close, say) goes
      // first.
      read_ = ReadState::kReading;
      net::post(strand_, [self = shared_from_this()] {
        self->read_ = ReadState::kIdle;
        self->DoRead();
      });
      return false;
    case FrameReader::Result::kClosed:
      read_ = ReadState::kEnded;
      if (phase_ == Phase::kCloseSent) {
        TearDown(std::nullopt, close_reason_->code,
                 absl::StrCat("closed by the bridge with ", close_reason_->code, " ",
                              ReasonText(*close_reason_)));
      } else {
        // Answered with the browser's code (1000 when it gave none), as Beast answered.
        const std::uint16_t code = reader_.close_code();
        TearDown(websocket::close_reason(code == 0 ? websocket::close_code::normal
                                                   : static_cast<websocket::close_code>(code)),
                 code, absl::StrCat("browser closed with ", code, " ", reader_.close_reason()));
      }
      return false;
    case FrameReader::Result::kFailed: {
      read_ = ReadState::kEnded;
      const beast::error_code ec = reader_.failure();
      Fail(ec, "read");
      if (phase_ == Phase::kCloseSent) {
        TearDown(std::nullopt, close_reason_->code,
                 absl::StrCat("closed by the bridge with ", close_reason_->code, " ",
                              ReasonText(*close_reason_)));
      } else if (reader_.failure_code() == 0) {
        BrowserFinished(ec.message());  // as Beast: no close frame, the connection is cut
      } else {
        const auto code = static_cast<websocket::close_code>(reader_.failure_code());
        TearDown(websocket::close_reason(code), close_code_, ec.message());
      }
      return false;
    }
  }
  return false;
}

void WebSocketSession::HandleReadError(beast::error_code ec) {
  if (phase_ == Phase::kFinished) {
    return;  // the socket was closed under this read
  }
  read_ = ReadState::kEnded;
  if (phase_ == Phase::kCloseSent) {
    close_code_ = close_reason_->code;
    BrowserFinished(absl::StrCat("closed by the bridge with ", close_reason_->code, " ",
                                 ReasonText(*close_reason_)));
    return;
  }
  Fail(ec, "read");
  BrowserFinished(ec.message());
}

bool WebSocketSession::OnMessage(const FrameReader::Message& message) {
  if (message.oversize) {
    ReplyError(absl::StrCat("frame of ", message.bytes, " bytes is over the limit of ",
                            context_.options->max_frame_bytes, " bytes; it was dropped"));
  } else if (message.binary) {
    ReplyError("binary frames are not accepted; send JSON text");
  } else {
    HandleText(message.text);  // may pause reading: roomd's queue is full
  }
  return false;  // one message per turn of the loop (HandleReadResult)
}

void WebSocketSession::OnPing(absl::string_view payload) {
  // Answered until our close frame is out, as Beast did; only the latest ping counts.
  if (phase_ != Phase::kOpen && phase_ != Phase::kClosing) {
    return;
  }
  pong_ = std::make_unique<std::string>(payload);
  if (write_ == WriteState::kIdle) {
    WriteControlFrames();  // else the write side sends it next (OnWrite, or the next pass)
  }
}

void WebSocketSession::OnPong(absl::string_view /*payload*/) {
  if (ping_ == PingState::kDue || ping_ == PingState::kAwaitingPong) {
    ping_ = PingState::kAnswered;
  }
}

void WebSocketSession::HandleText(absl::string_view text) {
  chat::v1::ClientEvent event;
  const absl::Status status = context_.codec->ParseClientEvent(text, &event);
  if (!status.ok()) {
    ReplyError(status.message());
    return;
  }
  if (event.has_join()) {
    NoteJoin(event.mutable_join());
  }
  WriteToRoomd(std::move(event));
}

void WebSocketSession::NoteJoin(chat::v1::Join* join) {
  // Only the first join counts: roomd refuses any other.
  if (!join_seen_) {
    join_seen_ = true;
    accept_batches_ = join->accept_batches();
  }
  // The bridge takes batches from roomd whatever the browser asked: it splits them.
  join->set_accept_batches(true);
}

void WebSocketSession::WriteToRoomd(chat::v1::ClientEvent event) {
  if (phase_ != Phase::kOpen || !roomd_) {
    return;
  }
  // kClosed needs nothing here: the stream is ending and OnRoomdDone will say why.
  switch (roomd_->Write(std::move(event))) {
    case RoomdStream::WriteResult::kQueueFull:
      if (read_ == ReadState::kIdle) {  // always, as writes come from a finished read
        read_ = ReadState::kPaused;
      }
      break;
    case RoomdStream::WriteResult::kTooLarge:
      ReplyError("event too large; it was dropped");
      break;
    case RoomdStream::WriteResult::kQueued:
    case RoomdStream::WriteResult::kClosed:
      break;
  }
}

void WebSocketSession::ReplyError(absl::string_view message) {
  if (++bad_frames_ <= kMaxLoggedBadFrames) {
    LogLine(absl::StrCat("error #", id_, " ", peer_, ": ", message));
  }
  Send(SingleFrame(context_.codec->EncodeError(absl::StatusCode::kInvalidArgument, message)));
}

void WebSocketSession::OnRoomdEvents(SharedFrames events, WakeBatch* wakes) {
  bool post = false;
  {
    chat::MutexLock lock(&inbox_mu_);
    inbox_.push_back(std::move(events));
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (!post) {
    return;
  }
  if (wakes != nullptr) {
    wakes->Add(strand_, shared_from_this());
  } else {
    net::post(strand_, [self = shared_from_this()] { self->Wake(); });
  }
}

void WebSocketSession::Wake() { TakeInbox(/*wake=*/true); }

void WebSocketSession::TakeInbox(bool wake) {
  {
    chat::MutexLock lock(&inbox_mu_);
    if (wake) {
      drain_posted_ = false;
    } else if (inbox_.empty()) {
      return;
    }
    // The inbox takes the emptied vector of the last drain, so refilling it allocates
    // nothing.
    drained_.swap(inbox_);
  }
  HandleRoomdEvents(drained_);
  drained_.clear();
  if (drained_.capacity() > kKeptInboxRuns) {
    std::vector<SharedFrames>().swap(drained_);  // a burst's capacity is given back
  }
}

void WebSocketSession::OnRoomdWritable() {
  net::post(strand_, [self = shared_from_this()] {
    if (self->read_ == ReadState::kPaused) {
      self->read_ = ReadState::kIdle;
    }
    self->DoRead();
  });
}

void WebSocketSession::OnRoomdDone(const grpc::Status& status) {
  net::post(strand_, [self = shared_from_this(), status] { self->HandleRoomdDone(status); });
}

void WebSocketSession::HandleRoomdEvents(const std::vector<SharedFrames>& runs) {
  for (const SharedFrames& run : runs) {
    if (run->welcome && roomd_phase_ == RoomdPhase::kAwaitingWelcome) {
      EnterRoomd(RoomdPhase::kWelcomed);
      RememberWho(run->frames);
    }
    Send(run);
  }
}

void WebSocketSession::RememberWho(const std::vector<Frame>& events) {
  // Once per session: the Welcome's own JSON says who joined where (roomd checked it).
  for (const Frame& frame : events) {
    if (absl::StartsWith(*frame, "{\"welcome\"")) {
      WelcomeWho who = WhoOfWelcome(*frame);
      room_ = std::move(who.room);
      user_id_ = std::move(who.user_id);
      return;
    }
  }
}

void WebSocketSession::HandleRoomdDone(const grpc::Status& status) {
  EnterRoomd(RoomdPhase::kDone);
  if (phase_ != Phase::kOpen) {
    return;
  }
  std::string reason = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    reason = absl::StrCat("roomd unavailable: ", reason);
  } else if (reason.empty()) {
    reason = StatusCodeName(status.error_code());
  }
  const std::uint16_t code = CloseCodeForStatus(status.error_code());
  LogLine(absl::StrCat("roomd ended #", id_, ": ", StatusCodeName(status.error_code()), " ",
                       status.error_message()));
  // roomd's last events (often an Error saying why) go out before the close frame.
  StartClose(MakeCloseReason(code, reason), /*drain=*/true);
}

void WebSocketSession::Send(SharedFrames run) {
  if (phase_ != Phase::kOpen) {
    return;
  }
  const std::size_t events = run->frames.size();
  const std::size_t bytes = run->bytes;
  // One frame always fits (a large Welcome must not doom its reader); a backlog may not.
  if (!queue_.Push(std::move(run), context_.options->outbound_queue_bytes)) {
    LogLine(absl::StrCat("slow consumer #", id_, " ", peer_, ": ", queue_.bytes(),
                         " bytes queued"));
    BridgeMetrics::Get().slow_consumers->Inc();
    StartClose(MakeCloseReason(kCloseSlowConsumer,
                               "slow consumer: the browser did not read its messages in time"),
               /*drain=*/false);
    return;
  }
  BridgeMetrics::Get().FramesQueued(events, bytes);
  // The next pass writes it, with whatever else arrives before then; a write in flight
  // takes it up when it completes.
  if (write_ == WriteState::kIdle && !pass_pending_) {
    pass_pending_ = true;
    WritePass::Schedule(strand_, shared_from_this());
  }
}

std::size_t WebSocketSession::WriteQueued() {
  if (write_ == WriteState::kSettling) {
    if (--settle_passes_ > 0) {
      // Still in flight: what arrives meanwhile waits for a later pass.
      WritePass::Schedule(strand_, shared_from_this());
      return 0;
    }
    write_ = WriteState::kIdle;
  }
  // What roomd delivered since the wakeup that scheduled this pass (often while the pass
  // wrote other browsers) goes out in this frame rather than in one more after the next
  // wakeup. The wakeup still comes; it finds less. Still marked pending meanwhile, so
  // these events ask for no second pass.
  TakeInbox(/*wake=*/false);
  pass_pending_ = false;
  events_written_ = 0;
  DoWrite();
  return events_written_;
}

void WebSocketSession::DoWrite() {
  if (write_ != WriteState::kIdle) {
    return;
  }
  switch (phase_) {
    case Phase::kOpen:
    case Phase::kClosing:
    case Phase::kCloseSent:
    case Phase::kTearingDown:
      break;
    case Phase::kUpgrading:
    case Phase::kFinished:
    case Phase::kRefused:
      return;
  }
  if ((pong_ != nullptr || !control_out_.empty()) && !WriteControlFrames()) {
    return;  // OnWrite comes back here
  }
  if (phase_ == Phase::kTearingDown) {
    // The close frame owed is out: TCP's end, as Beast ended it (over TLS, close_notify
    // first; the server shuts down sending and reads until the browser's end).
    write_ = WriteState::kInFlight;
    async_teardown(beast::role_type::server, socket_,
                   [self = shared_from_this()](beast::error_code) { self->OnTornDown(); });
    return;
  }
  if (phase_ == Phase::kCloseSent) {
    return;  // our close frame is out: nothing more is written
  }
  if (phase_ == Phase::kOpen && ping_ == PingState::kDue) {
    ping_ = PingState::kAwaitingPong;
    std::string ping;
    AppendControlFrame(ControlOpcode::kPing, {}, &ping);
    if (!WriteFrames(net::buffer(ping))) {
      return;
    }
  }
  if (queue_.empty()) {
    if (phase_ == Phase::kClosing) {
      Enter(Phase::kCloseSent);
      DoWrite();
    }
    return;
  }
  // A browser that takes no batches gets what waits as frames of its own, several in one
  // pass (bounded like a batch), so it costs a pass per burst, not one per event. Over TLS
  // those frames are sealed together.
  bool written = false;
  if (!accept_batches_ && queue_.events() > 1 && socket_.seals_records() &&
      socket_.CanWriteFrame()) {
    written = WriteSealedRun();
  } else {
    std::size_t frames = 1;
    while ((written = WriteNextFrame()) && !accept_batches_ && !queue_.empty() &&
           frames < kMaxBatchEvents) {
      ++frames;
    }
  }
  if (written) {
    // The write counts as in flight until the loop's next pass, like an asynchronous
    // one whose completion was queued: what arrives meanwhile goes out in one pass.
    write_ = WriteState::kSettling;
    settle_passes_ = socket_.seals_records() ? kSealedSettlePasses : kSettlePasses;
    pass_pending_ = true;
    WritePass::Schedule(strand_, shared_from_this());
  }
}

bool WebSocketSession::WriteSealedRun() {
  // Whole frames, one per event, one after the other in the loop's scratch (bounded like
  // a batch), then one seal: a record of up to 16 KB holds many of them.
  const std::size_t max_bytes = std::min(kMaxBatchBytes, context_.options->outbound_queue_bytes);
  std::string& run = LoopSealedRunScratch();
  run.clear();
  std::size_t count = 0;
  while (!queue_.empty() && count < kMaxBatchEvents) {
    const std::string& event = *queue_.Front();
    // Bounded by the plain size, known before compressing: once compressed, an event must
    // go out, since the browser's inflater will have its bytes in its window.
    if (count > 0 && run.size() + TextFrameHeader::kMaxBytes + event.size() > max_bytes) {
      break;
    }
    bool compressed = false;
    const absl::string_view payload = MaybeDeflate(event, &compressed);
    const TextFrameHeader header(payload.size(), compressed);
    run.append(static_cast<const char*>(header.buffer().data()), header.buffer().size());
    run.append(payload.data(), payload.size());
    queue_.Pop(1);
    ++count;
  }
  events_written_ += count;
  wrote_since_ping_ = true;
  write_ = WriteState::kInFlight;
  DirectWriteSocket& socket = socket_;
  if (!socket.TryWriteFrames(net::buffer(run))) {
    socket.FinishFrame(net::bind_allocator(
        OperationAllocator<void>(),
        [self = shared_from_this()](beast::error_code ec) { self->OnWrite(ec); }));
    return false;
  }
  return true;
}

absl::string_view WebSocketSession::MaybeDeflate(absl::string_view payload, bool* compressed) {
  *compressed = false;
  if (deflater_ == nullptr || payload.size() < kMinDeflateBytes) {
    return payload;
  }
  std::string& packed = LoopDeflateScratch();
  if (absl::Status status = deflater_->Compress(payload, &packed); !status.ok()) {
    LogLine(absl::StrCat("#", id_, " ", status.message(), "; frame sent uncompressed"));
    return payload;
  }
  BridgeMetrics& metrics = BridgeMetrics::Get();
  metrics.deflated_frames->Inc();
  metrics.deflate_bytes_in->Inc(payload.size());
  metrics.deflate_bytes_out->Inc(packed.size());
  *compressed = true;
  return packed;
}

bool WebSocketSession::WriteNextFrame() {
  net::const_buffer data = TakeNextFrame();
  write_ = WriteState::kInFlight;
  DirectWriteSocket& socket = socket_;
  if (!socket.CanWriteFrame()) {
    // TLS whose records could not be sealed here: asio writes the frame, from a copy.
    const TextFrameHeader header(data.size());
    batch_buffer_.assign(static_cast<const char*>(header.buffer().data()), header.buffer().size());
    batch_buffer_.append(static_cast<const char*>(data.data()), data.size());
    WriteBatchBufferThroughAsio();
    return false;
  }
  bool compressed = false;
  const absl::string_view payload =
      MaybeDeflate(absl::string_view(static_cast<const char*>(data.data()), data.size()),
                   &compressed);
  data = net::buffer(payload.data(), payload.size());
  wrote_since_ping_ = true;
  const TextFrameHeader header(data.size(), compressed);  // the socket copies what it keeps
  if (!socket.TryWriteFrame(header.buffer(), data)) {
    socket.FinishFrame(net::bind_allocator(
        OperationAllocator<void>(),
        [self = shared_from_this()](beast::error_code ec) { self->OnWrite(ec); }));
    return false;
  }
  ReleaseWrittenFrame();
  return true;
}

net::const_buffer WebSocketSession::TakeNextFrame() {
  // At low load a lone event goes out as it is; under load everything that waited
  // (bounded) goes out as one batch frame and one write.
  // The batch stays within the outbound queue limit, so coalescing holds no more per
  // browser than the queue already could.
  const std::size_t max_bytes = std::min(kMaxBatchBytes, context_.options->outbound_queue_bytes);
  const OutboundQueue::Batch batch =
      queue_.PlanBatch(accept_batches_ ? kMaxBatchEvents : 1, max_bytes);
  net::const_buffer data;
  if (batch.count == 1) {
    in_flight_ = queue_.Front();
    data = net::buffer(*in_flight_);
  } else {
    in_flight_.reset();
    const std::size_t size = BatchFrameSize(batch.joined_bytes);
    char* scratch = LoopBatchScratch::Get(size);
    queue_.WriteBatch(batch, scratch);
    data = net::buffer(scratch, size);
  }
  queue_.Pop(batch.count);
  events_written_ += batch.count;
  return data;
}

void WebSocketSession::OnWrite(beast::error_code ec) {
  write_ = WriteState::kIdle;
  ReleaseWrittenFrame();
  if (ec) {
    Fail(ec, "write");
    BrowserFinished(absl::StrCat("write failed: ", ec.message()));
    return;
  }
  DoWrite();
}

void WebSocketSession::ReleaseWrittenFrame() {
  in_flight_.reset();
  batch_buffer_.clear();
  if (batch_buffer_.capacity() > kKeptBatchBufferBytes) {
    std::string().swap(batch_buffer_);
  }
}

void WebSocketSession::StartClose(const websocket::close_reason& reason, bool drain) {
  if (phase_ == Phase::kUpgrading) {
    if (!close_reason_) {  // OnAccept sends it once the upgrade is done
      close_reason_ = std::make_unique<const websocket::close_reason>(reason);
    }
    return;
  }
  if (phase_ != Phase::kOpen) {
    return;
  }
  close_reason_ = std::make_unique<const websocket::close_reason>(reason);
  if (!drain) {
    queue_.Clear();
  }
  Enter(Phase::kClosing);
  DoWrite();
}

void WebSocketSession::WriteBatchBufferThroughAsio() {
  net::async_write(socket_, net::buffer(batch_buffer_),
                   net::bind_allocator(OperationAllocator<void>(),
                                       [self = shared_from_this()](beast::error_code ec,
                                                                   std::size_t) {
                                         self->OnWrite(ec);
                                       }));
}

bool WebSocketSession::WriteFrames(net::const_buffer frames) {
  write_ = WriteState::kInFlight;
  if (!socket_.CanWriteFrame()) {
    // TLS whose records could not be sealed here: asio writes them, from a copy.
    batch_buffer_.assign(static_cast<const char*>(frames.data()), frames.size());
    WriteBatchBufferThroughAsio();
    return false;
  }
  if (!socket_.TryWriteFrames(frames)) {
    socket_.FinishFrame(net::bind_allocator(
        OperationAllocator<void>(),
        [self = shared_from_this()](beast::error_code ec) { self->OnWrite(ec); }));
    return false;
  }
  write_ = WriteState::kIdle;
  return true;
}

bool WebSocketSession::WriteControlFrames() {
  std::string frames;
  if (pong_ != nullptr) {
    AppendControlFrame(ControlOpcode::kPong, *pong_, &frames);
    pong_.reset();
  }
  frames.append(control_out_);
  std::string().swap(control_out_);
  return WriteFrames(net::buffer(frames));
}

void WebSocketSession::TearDown(std::optional<websocket::close_reason> answer,
                                std::uint16_t code, std::string note) {
  if (!Enter(Phase::kTearingDown)) {
    return;
  }
  close_code_ = code;
  end_note_ = std::move(note);
  if (answer) {
    AppendCloseFrame(*answer, &control_out_);
  }
  DoWrite();
}

void WebSocketSession::OnTornDown() {
  write_ = WriteState::kIdle;
  Enter(Phase::kFinished);  // end_note_ says why since kTearingDown
}

void WebSocketSession::BrowserFinished(std::string note) {
  if (Enter(Phase::kFinished)) {
    end_note_ = std::move(note);
  }
}

void WebSocketSession::SetDeadline(SessionDeadlines::Kind kind, absl::Duration after) {
  deadlines_.Set(kind, absl::ToChronoMilliseconds(std::max(after, absl::ZeroDuration())));
  deadlines_.Arm([self = shared_from_this()](SessionDeadlines::Kind due) {
    self->OnDeadline(due);
  });
}

void WebSocketSession::OnDeadline(SessionDeadlines::Kind kind) {
  switch (kind) {
    case SessionDeadlines::Kind::kPing:
      OnPingDue();
      return;
    case SessionDeadlines::Kind::kJoin:
      OnJoinDue();
      return;
    case SessionDeadlines::Kind::kClose:
      OnCloseDue();
      return;
    case SessionDeadlines::Kind::kLinger:
      OnLingerDue();
      return;
  }
}

void WebSocketSession::OnPingDue() {
  if (phase_ != Phase::kOpen) {
    return;
  }
  const BridgeOptions& options = *context_.options;
  switch (ping_) {
    case PingState::kWaiting:
      if (deflater_ != nullptr && !wrote_since_ping_) {
        deflater_->Release();  // idle for a ping interval: its next frame starts afresh
      }
      wrote_since_ping_ = false;
      ping_ = PingState::kDue;
      DoWrite();
      SetDeadline(SessionDeadlines::Kind::kPing, options.dead_peer_timeout);
      return;
    case PingState::kDue:
    case PingState::kAwaitingPong:
      if (read_ != ReadState::kPaused) {
        LogLine(absl::StrCat("dead peer #", id_, " ", peer_, ": no pong within ",
                             FormatSeconds(options.dead_peer_timeout)));
        BrowserFinished("dead peer: no pong");
        return;
      }
      // Paused reads cannot see the pong: wait on.
      SetDeadline(SessionDeadlines::Kind::kPing, options.dead_peer_timeout);
      return;
    case PingState::kAnswered:
      ping_ = PingState::kWaiting;
      SetDeadline(SessionDeadlines::Kind::kPing, options.ping_interval - options.dead_peer_timeout);
      return;
  }
}

void WebSocketSession::OnJoinDue() {
  if (roomd_phase_ != RoomdPhase::kAwaitingWelcome || phase_ != Phase::kOpen) {
    return;
  }
  LogLine(absl::StrCat("join timeout #", id_, " ", peer_));
  StartClose(MakeCloseReason(kCloseJoinTimeout,
                             absl::StrCat("join timeout: no welcome within ",
                                          FormatSeconds(context_.options->join_timeout))),
             /*drain=*/true);
}

void WebSocketSession::OnCloseDue() {
  if (phase_ == Phase::kFinished) {
    return;
  }
  // Which half is missing tells a browser that never answered from frames that never left.
  const absl::string_view missing =
      phase_ == Phase::kCloseSent     ? "our close frame is out, no answer was read"
      : phase_ == Phase::kTearingDown ? "the browser's close was read, TCP did not end"
                                      : "our close frame still waits behind a write";
  BrowserFinished(absl::StrCat("no closing handshake within ",
                               FormatSeconds(context_.options->handshake_timeout), " (",
                               missing, ")"));
}

void WebSocketSession::OnLingerDue() {
  if (roomd_phase_ != RoomdPhase::kEnding) {
    return;
  }
  LogLine(absl::StrCat("roomd did not end #", id_, " in time; cancelling it"));
  roomd_->Cancel();
}

void WebSocketSession::Fail(beast::error_code ec, absl::string_view what) {
  if (ec == net::error::operation_aborted || ec == websocket::error::closed ||
      ec == beast::error::timeout || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::bad_descriptor) {
    return;
  }
  LogLine(absl::StrCat("error #", id_, " ", peer_, " ", what, ": ", ec.message()));
}

}  // namespace wsbridge
