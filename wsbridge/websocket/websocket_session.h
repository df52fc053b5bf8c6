#pragma once

// One browser WebSocket at /chat, bridged to exactly one roomd Chat stream.
// Lifetime: shared; every pending handler holds it, so it lives until both the socket and
// the roomd stream are finished. It leaves the session set in its destructor.
//
// Beast's WebSocket stream only does the upgrade (over a reference to the socket) and is
// let go once it is done: from then on the session reads frames itself (FrameReader, from
// the loop's buffer once the socket is readable, so an idle browser holds no read buffer)
// and writes every frame straight to the socket (DirectWriteSocket).
//
// Two lifecycles, each one enum that only moves forward through one transition function:
//   browser (Enter):     kUpgrading -> kOpen -> kClosing -> kCloseSent -> kFinished
//                        (kUpgrading -> kRefused; kOpen, kClosing or kCloseSent ->
//                        kTearingDown -> kFinished when the browser closed or broke the
//                        protocol; kOpen or kClosing -> kFinished when the connection ends)
//   roomd (EnterRoomd):  kNone -> kAwaitingWelcome -> kWelcomed -> kEnding -> kDone
//                        (each started phase may also skip to kEnding or kDone)
// Beside them, three small states of their own: the read side (ReadState), the write side
// (WriteState, one write in flight) and the keep-alive ping (PingState).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"
#include "common/mutex.h"
#include "common/ring_deque.h"
#include "wsbridge/bridge_context.h"
#include "wsbridge/roomd_link/roomd_stream.h"
#include "wsbridge/roomd_link/roomd_stream_observer.h"
#include "wsbridge/tls/tls_stream.h"
#include "wsbridge/websocket/direct_write_socket.h"
#include "wsbridge/websocket/frame_deflater.h"
#include "wsbridge/websocket/frame_reader.h"
#include "wsbridge/websocket/operation_memory.h"
#include "wsbridge/websocket/outbound_queue.h"
#include "wsbridge/websocket/session_deadlines.h"
#include "wsbridge/websocket/write_pass.h"

namespace wsbridge {

class WebSocketSession final : public RoomdStreamObserver,
                               public Wakeable,
                               public WritePass::Writer,
                               private FrameReader::Handler,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  // `socket`'s executor must be an IoThreads loop: every member below runs on it, and the
  // loop's thread holds its WritePass list.
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, const BridgeContext& context);
  // Over TLS (wss), after the TLS handshake.
  WebSocketSession(std::unique_ptr<TlsStream> tls, const BridgeContext& context);
  ~WebSocketSession() override;

  // Completes the upgrade that `request` asked for, then bridges until either side ends.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);

  // Any thread: closes the browser with 1001 "going away" (bridge shutdown).
  void GoAway();

  // RoomdStreamObserver: called on gRPC threads, each only hands work to the loop.
  void OnRoomdEvents(SharedFrames events, WakeBatch* wakes) override;
  void OnRoomdWritable() override;
  void OnRoomdDone(const grpc::Status& status) override;
  // Wakeable, on the loop: sends the events OnRoomdEvents put in the inbox.
  void Wake() override;
  // WritePass::Writer: the pass this session asked for (Send) has come.
  std::size_t WriteQueued() override;

 private:
  // Beast's stream for the upgrade only: it answers the request (or refuses it) and
  // negotiates permessage-deflate, over the session's socket.
  using Handshake = boost::beast::websocket::stream<DirectWriteSocket&>;

  WebSocketSession(DirectWriteSocket&& socket, const BridgeContext& context);

  // The browser connection.
  enum class Phase : std::uint8_t {
    kUpgrading,  // async_accept in flight; a close asked for meanwhile waits in close_reason_
    kOpen,       // bridging both ways
    kClosing,    // no new frames: what is queued drains (unless dropped), then the close
    kCloseSent,  // our close frame went (or waits for the write side); the answer is due
    kTearingDown,  // the browser closed or broke the protocol: the close frame owed goes
                   // out, then TCP's end (end_note_ says why already)
    kFinished,   // the socket is closed; end_note_ says why
    kRefused,    // the upgrade failed: never open
  };
  // The roomd stream.
  enum class RoomdPhase : std::uint8_t {
    kNone,             // not started (before the upgrade, or closed before it was done)
    kAwaitingWelcome,  // started; the join deadline is set
    kWelcomed,
    kEnding,           // writes closed: roomd ends the stream (the linger deadline is set)
    kDone,             // OnRoomdDone came
  };
  enum class ReadState : std::uint8_t {
    kIdle,
    kReading,
    kPaused,  // roomd's queue is full: the browser is not read until OnRoomdWritable
    kEnded,   // a close frame or a broken frame came: nothing more is read
  };
  enum class WriteState : std::uint8_t {
    kIdle,
    kInFlight,  // the rest of a direct write, or an asio write over unsealed TLS
    kSettling,  // a direct write is done, but counts as in flight for settle_passes_ passes
  };
  enum class PingState : std::uint8_t {
    kWaiting,       // for the next ping time
    kDue,           // a ping waits for the write side; its pong is awaited already
    kAwaitingPong,  // the ping is written
    kAnswered,      // its pong came
  };

  // The transitions: each checks that `next` follows the current phase (false, and nothing
  // done, if not) and does what entering it takes.
  bool Enter(Phase next);
  bool EnterRoomd(RoomdPhase next);

  void OnAccept(boost::beast::error_code ec);

  // Browser -> roomd. The reader discards an oversize message, so it can be answered
  // instead of closing the connection.
  void DoRead();
  // Plain: reads what the socket holds into the loop's buffer; then waits for more.
  void ReadAvailable();
  void OnReadable(boost::beast::error_code ec);
  void OnTlsRead(boost::beast::error_code ec, std::size_t bytes);
  // What the reader said: false when reading stops here (paused, or the browser is done).
  bool HandleReadResult(FrameReader::Result result);
  void HandleReadError(boost::beast::error_code ec);
  // FrameReader::Handler.
  bool OnMessage(const FrameReader::Message& message) override;
  void OnPing(absl::string_view payload) override;
  void OnPong(absl::string_view payload) override;
  void HandleText(absl::string_view text);
  void WriteToRoomd(chat::v1::ClientEvent event);
  // A join on its way to roomd: records whether the browser takes batch frames.
  void NoteJoin(chat::v1::Join* join);
  void ReplyError(absl::string_view message);

  // roomd -> browser: a bounded queue of events with one write (or ping, or close) in
  // flight; events that wait are coalesced into one batch frame per write if the browser's
  // join accepted batches, else written as frames of their own, several a pass.
  // Sends the runs of frames the inbox held.
  void HandleRoomdEvents(const std::vector<SharedFrames>& runs);
  // Keeps the room and user id from the Welcome among `events`, for the disconnect line.
  void RememberWho(const std::vector<Frame>& events);
  // Sends what the inbox holds; `wake`: as the posted wakeup, which a new event after
  // this one posts again.
  void TakeInbox(bool wake);
  void HandleRoomdDone(const grpc::Status& status);
  void Send(SharedFrames run);
  void DoWrite();
  // Takes the next frame off the queue: one event as it is (in_flight_), or several as a
  // batch in the loop's scratch buffer, valid until the loop's next batch.
  boost::asio::const_buffer TakeNextFrame();
  // Takes the next frame and writes it: true if it was written at once, false if an
  // asynchronous write (OnWrite answers) has it.
  bool WriteNextFrame();
  // Over sealed TLS, for a browser that takes no batches: writes the frames that wait (up
  // to a batch's bounds) sealed together; true if the kernel took them at once, false if
  // an asynchronous write (OnWrite answers) has the rest.
  bool WriteSealedRun();
  // `payload` compressed with the browser's deflater when it agreed to permessage-deflate
  // (*compressed then true; the bytes live in the loop's scratch until the next call), else
  // `payload` itself.
  absl::string_view MaybeDeflate(absl::string_view payload, bool* compressed);
  void OnWrite(boost::beast::error_code ec);
  // The frame just written is no longer needed.
  void ReleaseWrittenFrame();

  // `frames` (whole frames) straight to the socket: true if it took them at once, else an
  // asynchronous write has the rest (OnWrite answers). The buffer is free on return.
  bool WriteFrames(boost::asio::const_buffer frames);
  // TLS whose records cannot be sealed here: asio writes batch_buffer_ (OnWrite answers).
  void WriteBatchBufferThroughAsio();
  // Writes the control frames owed (pong_, control_out_); true if they went at once.
  bool WriteControlFrames();

  // Ending: StartClose sends a close frame after the write in flight (and, with `drain`,
  // after the frames already queued); TearDown answers the browser's close (or a broken
  // frame) and ends TCP as Beast did; BrowserFinished runs once the socket is done for
  // any reason.
  void StartClose(const boost::beast::websocket::close_reason& reason, bool drain);
  void TearDown(std::optional<boost::beast::websocket::close_reason> answer, std::uint16_t code,
                std::string note);
  void OnTornDown();
  void BrowserFinished(std::string note);

  // The deadlines: set (or moved) with SetDeadline, each handled by its On*Due.
  void SetDeadline(SessionDeadlines::Kind kind, absl::Duration after);
  void OnDeadline(SessionDeadlines::Kind kind);
  void OnPingDue();
  void OnJoinDue();
  void OnCloseDue();
  void OnLingerDue();

  void Fail(boost::beast::error_code ec, absl::string_view what);

  const BridgeContext context_;
  LiveSet<WebSocketSession>::Membership membership_;  // before what it owns: gone last
  const std::uint64_t id_;
  const boost::asio::any_io_executor strand_;
  std::string peer_;
  DirectWriteSocket socket_;
  std::unique_ptr<Handshake> handshake_;  // kUpgrading only
  // The next ping (kOpen), the Welcome (kAwaitingWelcome), the browser's answer to our
  // close (from kClosing) and roomd's end (kEnding).
  SessionDeadlines deadlines_;

  // The small states side by side: no padding between them.
  Phase phase_ = Phase::kUpgrading;
  RoomdPhase roomd_phase_ = RoomdPhase::kNone;
  ReadState read_ = ReadState::kIdle;
  WriteState write_ = WriteState::kIdle;
  PingState ping_ = PingState::kWaiting;
  // The close code the connection ended with, for the metrics (1006: no close frame).
  std::uint16_t close_code_ = 1006;
  absl::Time opened_;  // when the upgrade completed, for the disconnect line
  // Why the bridge closes, from StartClose on (kUpgrading with a close owed, kClosing,
  // kCloseSent, and kFinished after those). On the heap: 130 bytes most sessions never use.
  std::unique_ptr<const boost::beast::websocket::close_reason> close_reason_;
  std::string end_note_;
  std::string room_;     // from the Welcome, for the disconnect line
  std::string user_id_;  // likewise (a hash, never the email)

  std::string target_;  // the upgrade request's target, for the query-string join (kUpgrading)
  std::shared_ptr<RoomdStream> roomd_;

  FrameReader reader_;
  // Over TLS, the buffer of the read in flight (decrypted records cannot wait in the loop's).
  std::unique_ptr<char[]> tls_read_buffer_;
  // Control frames waiting for the write side, sent before data frames: the pong owed (to
  // the latest ping only, so a ping flood cannot grow it) and a close frame.
  std::unique_ptr<std::string> pong_;
  std::string control_out_;
  int bad_frames_ = 0;
  bool join_seen_ = false;
  bool accept_batches_ = false;  // the browser's Join.accept_batches: batch frames allowed

  OutboundQueue queue_;  // runs of events' JSON, shared with other sessions
  Frame in_flight_;      // a lone event written as it is
  std::string batch_buffer_;  // frames asio writes over unsealed TLS (direct ones: the loop's)
  // permessage-deflate, when the upgrade agreed to it (--permessage_deflate).
  std::optional<DeflateAgreement> deflate_agreement_;
  std::unique_ptr<FrameDeflater> deflater_;
  bool wrote_since_ping_ = false;  // else the deflater's state is given back
  bool pass_pending_ = false;  // a WritePass will call WriteQueued
  int settle_passes_ = 0;      // kSettling: passes left before the next write
  std::size_t events_written_ = 0;  // by the current WriteQueued, for the pass's pacing

  // roomd's events, filled on gRPC threads and drained on the strand: one post per burst
  // of reads rather than one per read, and one entry per read (its shared run of frames),
  // not one per event.
  chat::Mutex inbox_mu_;
  std::vector<SharedFrames> inbox_ ABSL_GUARDED_BY(inbox_mu_);
  std::vector<SharedFrames> drained_;  // the inbox's last contents, kept for their capacity
  bool drain_posted_ ABSL_GUARDED_BY(inbox_mu_) = false;
};

}  // namespace wsbridge
