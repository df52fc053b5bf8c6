#include "bench/ws_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

#include <cerrno>

#include <atomic>
#include <chrono>
#include <cstring>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bench/json_frame_decoder.h"
#include "bench/run_state.h"

namespace bench {
namespace {

namespace net = boost::asio;

// A Welcome lists everyone online: big rooms make big frames.
constexpr uint64_t kMaxMessageBytes = 64 << 20;
// An upgrade response is a few hundred bytes.
constexpr std::size_t kMaxResponseHead = 16 << 10;
// Each read offers at least this much room.
constexpr std::size_t kMinReadSpace = 16 << 10;
constexpr uint16_t kCloseNormal = 1000;

uint32_t NextMask(uint32_t* state) {
  uint32_t x = *state;  // xorshift32: masks need not be secret from a benchmark's own server
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

std::atomic<uint64_t> bytes_read{0};  // WsClient::BytesRead

}  // namespace

WsInflater::WsInflater() : stream_(std::make_unique<z_stream>()) {
  inflateInit2(stream_.get(), -15);  // raw deflate, any window the server may use
}

WsInflater::~WsInflater() { inflateEnd(stream_.get()); }

absl::Status WsInflater::Inflate(absl::string_view payload, std::string* out) {
  static constexpr char kTail[] = {0, 0, '\xff', '\xff'};
  z_stream& z = *stream_;
  out->clear();
  char chunk[16 * 1024];
  for (absl::string_view part : {payload, absl::string_view(kTail, sizeof(kTail))}) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
    z.avail_in = static_cast<uInt>(part.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(chunk);
      z.avail_out = sizeof(chunk);
      const int result = inflate(&z, Z_SYNC_FLUSH);
      if (result != Z_OK && result != Z_BUF_ERROR) {
        return absl::DataLossError(absl::StrCat("inflate failed (", result, ")"));
      }
      out->append(chunk, sizeof(chunk) - z.avail_out);
      if (out->size() > kMaxMessageBytes) {
        return absl::ResourceExhaustedError("message too big");
      }
    } while (z.avail_in > 0 || z.avail_out == 0);
  }
  return absl::OkStatus();
}

uint64_t WsClient::BytesRead() { return bytes_read.load(std::memory_order_relaxed); }

WsClient::WsClient(net::io_context& ioc, Participant* participant, net::ip::tcp::endpoint target,
                   net::ip::address source, std::string host, std::string room,
                   std::chrono::nanoseconds handshake_timeout, WsSecurity security,
                   bool offer_deflate)
    : ioc_(ioc),
      participant_(participant),
      target_(std::move(target)),
      source_(std::move(source)),
      host_(std::move(host)),
      room_(std::move(room)),
      handshake_timeout_(handshake_timeout),
      token_(std::move(security.token)),
      socket_(ioc),
      timer_(ioc),
      mask_state_(0x9e3779b9u ^ static_cast<uint32_t>(participant->index() * 2654435761u)),
      offer_deflate_(offer_deflate) {
  if (mask_state_ == 0) {
    mask_state_ = 1;
  }
  if (security.tls != nullptr) {
    tls_ = std::make_unique<net::ssl::stream<net::ip::tcp::socket&>>(socket_, *security.tls);
  }
}

template <typename Handler>
void WsClient::WriteInFlight(Handler&& handler) {
  if (!channel_) {
    net::async_write(socket_, net::buffer(in_flight_), std::forward<Handler>(handler));
    return;
  }
  // Records the SSL wrote while reading (an alert) go first, in the order it numbered them.
  sealed_.clear();
  sealed_.swap(channel_->pending());
  if (absl::Status status = channel_->Seal(in_flight_, &sealed_); !status.ok()) {
    net::post(ioc_, [handler = std::forward<Handler>(handler)]() mutable {
      handler(net::error::make_error_code(net::error::fault), 0);
    });
    return;
  }
  net::async_write(socket_, net::buffer(sealed_), std::forward<Handler>(handler));
}

void WsClient::Start() {
  net::post(ioc_, [this] { DoStart(); });
}

void WsClient::Close() {
  net::post(ioc_, [this] { DoClose(); });
}

void WsClient::StartTimer() {
  timer_.expires_after(handshake_timeout_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted || ended_) {
      return;
    }
    End(open_ ? "close: timed out" : "handshake: timed out");
  });
}

void WsClient::DoStart() {
  boost::system::error_code ec;
  socket_.open(target_.protocol(), ec);
  if (!ec && !source_.is_unspecified()) {
    // Let the kernel pick the port at connect time, per destination, not at bind time.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
    socket_.bind(net::ip::tcp::endpoint(source_, 0), ec);
  }
  if (ec) {
    End(absl::StrCat("socket: ", ec.message()));
    return;
  }
  // A busy bridge may take long to upgrade while a big room joins: the limit covers the
  // whole connect phase.
  StartTimer();
  socket_.async_connect(target_, [this](const boost::system::error_code& e) { OnConnect(e); });
}

void WsClient::OnConnect(const boost::system::error_code& ec) {
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("connect: ", ec.message()));
    return;
  }
  boost::system::error_code ignored;
  socket_.set_option(net::ip::tcp::no_delay(true), ignored);
  if (!tls_) {
    WriteUpgradeRequest();
    return;
  }
  // The certificate must name the host we dialled (an IP address or a DNS name), as a
  // browser checks it; SNI only for names (RFC 6066 forbids addresses).
  const std::string host = host_.substr(0, host_.rfind(':'));
  tls_->set_verify_callback(net::ssl::host_name_verification(host));
  boost::system::error_code address_error;
  net::ip::make_address(host, address_error);
  if (address_error) {
    SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
  }
  tls_->async_handshake(net::ssl::stream_base::client,
                        [this](const boost::system::error_code& e) { OnTlsHandshake(e); });
}

void WsClient::OnTlsHandshake(const boost::system::error_code& ec) {
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("TLS handshake: ", ec.message()));
    return;
  }
  absl::StatusOr<std::unique_ptr<TlsChannel>> channel = TlsChannel::TakeOver(tls_->native_handle());
  if (!channel.ok()) {
    End(std::string(channel.status().message()));
    return;
  }
  channel_ = *std::move(channel);
  // Reads wait for readiness, then the channel's SSL takes what the socket holds.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  channel_->ReadFrom(socket_.native_handle());
  WriteUpgradeRequest();
}

void WsClient::WriteUpgradeRequest() {
  char key[16];
  for (int i = 0; i < 16; i += 4) {
    const uint32_t word = NextMask(&mask_state_);
    std::memcpy(key + i, &word, 4);
  }
  in_flight_ = UpgradeRequest(host_, "/chat", absl::Base64Escape(absl::string_view(key, 16)),
                              offer_deflate_);
  writing_ = true;
  WriteInFlight([this](const boost::system::error_code& e, std::size_t) { OnRequestWritten(e); });
}

void WsClient::OnRequestWritten(const boost::system::error_code& ec) {
  writing_ = false;
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("handshake: ", ec.message()));
    return;
  }
  in_.resize(kMaxResponseHead);
  ReadResponse();
}

void WsClient::ReadResponse() {
  if (channel_) {
    WaitTlsReadable();
    return;
  }
  socket_.async_read_some(net::buffer(in_.data() + in_end_, in_.size() - in_end_),
                [this](const boost::system::error_code& e, std::size_t bytes) {
                  OnResponseRead(e, bytes);
                });
}

void WsClient::OnResponseRead(const boost::system::error_code& ec, std::size_t bytes) {
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("handshake: ", ec.message()));
    return;
  }
  in_end_ += bytes;
  bytes_read.fetch_add(bytes, std::memory_order_relaxed);
  HandleResponse();
}

void WsClient::HandleResponse() {
  const absl::string_view received(in_.data(), in_end_);
  const std::size_t head = ResponseHeadSize(received);
  if (head == 0) {
    if (in_end_ == in_.size()) {
      End("handshake: response head too long");
      return;
    }
    ReadResponse();
    return;
  }
  if (absl::Status status = CheckUpgradeResponse(received.substr(0, head)); !status.ok()) {
    End(absl::StrCat("handshake: ", status.message()));
    return;
  }
  if (offer_deflate_ && AgreesToDeflate(received.substr(0, head))) {
    inflater_ = std::make_unique<WsInflater>();
  }
  in_begin_ = head;  // frames may follow the head in the same read
  open_ = true;
  timer_.cancel();
  participant_->OnJoinSent(NowNanos());
  // As the page does: it unpacks batch frames, so it lets the bridge send them. A token
  // (base64url and dots) and an email need no JSON escaping.
  const absl::string_view who = token_.empty() ? R"(","email":")" : R"(","token":")";
  SendFrame(WsOpcode::kText,
            absl::StrCat(R"({"join":{"room":")", room_, who,
                         token_.empty() ? participant_->Email() : token_,
                         R"(","acceptBatches":true}})"));
  if (close_wanted_) {
    DoClose();
  }
  if (ProcessFrames()) {
    DoRead();
  }
}

void WsClient::SendMessage(const std::string& text, const std::string& client_id) {
  if (!open_ || close_started_) {
    return;
  }
  // Benchmark texts and ids hold nothing JSON escapes.
  SendFrame(WsOpcode::kText,
            absl::StrCat(R"({"send":{"text":")", text, R"(","clientId":")", client_id, R"("}})"));
}

void WsClient::SendFrame(WsOpcode opcode, absl::string_view payload) {
  std::string frame;
  AppendClientFrame(opcode, payload, NextMask(&mask_state_), &frame);
  queue_.push_back(std::move(frame));
  DoWrite();
}

void WsClient::DoWrite() {
  if (writing_ || queue_.empty() || ended_) {
    return;
  }
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  WriteInFlight([this](const boost::system::error_code& e, std::size_t) { OnWrite(e); });
}

void WsClient::OnWrite(const boost::system::error_code& ec) {
  writing_ = false;
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("write: ", ec.message()));
    return;
  }
  if (queue_.empty() && !end_when_written_.empty()) {
    End(std::move(end_when_written_));
    return;
  }
  DoWrite();
}

void WsClient::MakeReadSpace() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  }
  if (in_.size() - in_end_ < kMinReadSpace) {
    // Move what is left of a partial frame to the front, then grow if that is not enough.
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
    if (in_.size() - in_end_ < kMinReadSpace) {
      in_.resize(in_end_ + std::max(kMinReadSpace, in_.size()));
    }
  }
}

void WsClient::DoRead() {
  if (channel_) {
    WaitTlsReadable();
    return;
  }
  MakeReadSpace();
  socket_.async_read_some(net::buffer(in_.data() + in_end_, in_.size() - in_end_),
                          [this](const boost::system::error_code& e, std::size_t bytes) {
                            OnRead(e, bytes);
                          });
}

void WsClient::WaitTlsReadable() {
  socket_.async_wait(net::socket_base::wait_read,
                     [this](const boost::system::error_code& e) { OnTlsReadable(e); });
}

void WsClient::OnTlsReadable(const boost::system::error_code& ec) {
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("read: ", ec.message()));
    return;
  }
  channel_->Readable();
  const bool opened = OpenRecords();
  bytes_read.fetch_add(channel_->TakeReceivedBytes(), std::memory_order_relaxed);  // records
  if (!opened) {
    return;
  }
  if (const int end = channel_->socket_end(); end >= 0) {
    // Frames opened before the end are handled first, as a plain read would have.
    if (open_ && !ProcessFrames()) {
      return;
    }
    const boost::system::error_code error =
        end == 0 ? boost::system::error_code(net::error::eof)
                 : boost::system::error_code(end, boost::system::system_category());
    End(absl::StrCat(open_ ? "read: " : "handshake: ", error.message()));
    return;
  }
  if (!open_) {
    HandleResponse();
    return;
  }
  if (ProcessFrames()) {
    DoRead();
  }
}

bool WsClient::OpenRecords() {
  for (;;) {
    if (open_) {
      if (in_.size() - in_end_ < kMinReadSpace) {
        // Handle the whole frames first, so in_ holds at most one partial frame and room.
        if (!ProcessFrames()) {
          return false;
        }
        MakeReadSpace();
      }
    } else if (in_end_ == in_.size()) {
      if (ResponseHeadSize(absl::string_view(in_.data(), in_end_)) == 0) {
        End("handshake: response head too long");
        return false;
      }
      in_.resize(2 * in_.size());  // frames after a whole head: HandleResponse takes them
    }
    std::size_t got = 0;
    std::string error;
    switch (channel_->Read(in_.data() + in_end_, in_.size() - in_end_, &got, &error)) {
      case TlsChannel::ReadResult::kData:
        in_end_ += got;
        break;
      case TlsChannel::ReadResult::kNeedMore:
        return true;
      case TlsChannel::ReadResult::kClosed:
      case TlsChannel::ReadResult::kFailed:
        // What was opened before (often the server's close frame) is handled first.
        if (open_ && !ProcessFrames()) {
          return false;
        }
        End(absl::StrCat(open_ ? "read: " : "handshake: ",
                         error.empty() ? "the server closed TLS" : error));
        return false;
    }
  }
}

void WsClient::OnRead(const boost::system::error_code& ec, std::size_t bytes) {
  if (ended_) {
    return;
  }
  if (ec) {
    End(absl::StrCat("read: ", ec.message()));
    return;
  }
  in_end_ += bytes;
  bytes_read.fetch_add(bytes, std::memory_order_relaxed);
  if (ProcessFrames()) {
    DoRead();
  }
}

bool WsClient::ProcessFrames() {
  while (!ended_) {
    WsFrame frame;
    std::size_t size = 0;
    const absl::Status status = ParseServerFrame(
        absl::string_view(in_.data() + in_begin_, in_end_ - in_begin_), kMaxMessageBytes, &frame,
        &size, inflater_ != nullptr);
    if (!status.ok()) {
      End(absl::StrCat("read: ", status.message()));
      return false;
    }
    if (size == 0) {
      return true;  // the rest has not arrived yet
    }
    in_begin_ += size;
    if (!HandleFrame(frame)) {
      return false;
    }
  }
  return false;
}

bool WsClient::HandleFrame(const WsFrame& frame) {
  absl::string_view text;
  switch (frame.opcode) {
    case WsOpcode::kText:
    case WsOpcode::kContinuation:
      if ((frame.opcode == WsOpcode::kText) == in_message_) {
        End("read: continuation frame out of place");
        return false;
      }
      if (frame.opcode == WsOpcode::kText) {
        message_compressed_ = frame.compressed;
      }
      if (frame.fin && !in_message_ && !frame.compressed) {
        text = frame.payload;  // the common case: decoded in the receive buffer
        break;
      }
      if (message_.size() + frame.payload.size() > kMaxMessageBytes) {
        End("read: message too big");
        return false;
      }
      message_.append(frame.payload.data(), frame.payload.size());
      in_message_ = !frame.fin;
      if (in_message_) {
        return true;
      }
      text = message_;
      if (message_compressed_) {
        if (absl::Status status = inflater_->Inflate(message_, &inflated_); !status.ok()) {
          End(absl::StrCat("read: permessage-deflate: ", status.message()));
          return false;
        }
        text = inflated_;
      }
      break;
    case WsOpcode::kBinary:
      End("read: binary message");
      return false;
    case WsOpcode::kPing:
      if (!close_started_) {
        SendFrame(WsOpcode::kPong, frame.payload);
      }
      return true;
    case WsOpcode::kPong:
      return true;
    case WsOpcode::kClose: {
      std::string why = absl::StrCat("closed by the server: ", DescribeClose(frame.payload));
      if (close_started_) {
        End(absl::StrCat(why, ", answering our close"));
        return false;
      }
      // Echo its code (RFC 6455 §5.5.1), then end once that is written; read no more.
      close_started_ = true;
      queue_.clear();
      end_when_written_ = std::move(why);
      SendFrame(WsOpcode::kClose, frame.payload.substr(0, 2));
      StartTimer();
      return false;
    }
  }
  const absl::Status status = JsonFrameDecoder::Decode(text, NowNanos(), participant_);
  if (!status.ok()) {
    participant_->OnError("BENCH", status.message(), "");
  }
  if (!in_message_ && !message_.empty()) {
    message_.clear();
  }
  return true;
}

void WsClient::DoClose() {
  close_wanted_ = true;
  if (ended_) {
    return;
  }
  if (!open_) {
    // Still connecting: abandon the attempt.
    boost::system::error_code ignored;
    socket_.close(ignored);
    return;
  }
  if (close_started_) {
    return;
  }
  close_started_ = true;
  queue_.clear();  // messages not yet written are abandoned; the close goes next
  SendFrame(WsOpcode::kClose, ClosePayload(kCloseNormal, ""));
  StartTimer();  // the server's close frame ends the client
}

void WsClient::End(std::string why) {
  if (ended_) {
    return;
  }
  ended_ = true;
  open_ = false;
  queue_.clear();
  timer_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
  participant_->OnEnded(why);
}

}  // namespace bench
