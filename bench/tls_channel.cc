#include "bench/tls_channel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace bench {
namespace {

std::string LastTlsError(absl::string_view what) {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  if (error == 0) {
    return std::string(what);
  }
  char text[256];
  ERR_error_string_n(error, text, sizeof(text));
  return absl::StrCat(what, ": ", text);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsChannel>> TlsChannel::TakeOver(SSL* ssl) {
  // Made once and never freed, like OpenSSL's own methods.
  static BIO_METHOD* const method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                    "chat_bench TLS channel");
    if (made != nullptr) {
      BIO_meth_set_create(made, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      BIO_meth_set_ctrl(made, [](BIO* bio, int command, long, void*) -> long {
        // Nothing is buffered on the way out, so a flush has nothing to do.
        if (command == BIO_CTRL_FLUSH) {
          return 1;
        }
        if (command == BIO_CTRL_PENDING) {
          return static_cast<long>(static_cast<TlsChannel*>(BIO_get_data(bio))->supply_size_);
        }
        return 0;
      });
      BIO_meth_set_read_ex(made, &TlsChannel::ReadBio);
      BIO_meth_set_write_ex(made, &TlsChannel::WriteBio);
    }
    return made;
  }();
  BIO* const old_read = SSL_get_rbio(ssl);
  BIO* const old_write = SSL_get_wbio(ssl);
  if (method == nullptr || old_read == nullptr || old_write == nullptr) {
    return absl::InternalError("TLS: the session has no BIOs to replace");
  }
  if (BIO_wpending(old_write) != 0) {
    return absl::InternalError("TLS: the handshake left records unsent");
  }
  auto channel = std::unique_ptr<TlsChannel>(new TlsChannel(ssl));
  // The handshake's last read may have brought more than the SSL took (asio fed its BIO
  // pair); keep that for the first Read.
  const std::size_t unread = BIO_ctrl_pending(old_read);
  if (unread > 0) {
    channel->carried_.resize(unread);
    std::size_t got = 0;
    if (BIO_read_ex(old_read, channel->carried_.data(), unread, &got) != 1 || got != unread) {
      return absl::InternalError("TLS: could not take the handshake's unread bytes");
    }
    channel->Supply(channel->carried_.data(), channel->carried_.size());
  }
  BIO* const bio = BIO_new(method);
  if (bio == nullptr) {
    return absl::ResourceExhaustedError("TLS: no memory for the channel's BIO");
  }
  BIO_set_data(bio, channel.get());
  // One BIO both ways: the SSL holds a reference for each role (set0 takes one each), and
  // drops its references to the pair's half (asio's engine frees the other half).
  BIO_up_ref(bio);
  SSL_set0_rbio(ssl, bio);
  SSL_set0_wbio(ssl, bio);
  // asio has the SSL free its record buffer whenever it is empty, which costs a malloc and
  // a free per record when records are read one at a time; keep it.
  SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();
  return channel;
}

void TlsChannel::Supply(const char* data, std::size_t size) {
  // SSL_get_error reads the thread's error queue: empty it once per supply, not per record
  // (a failure ends the client, so nothing is queued between the reads of one supply).
  ERR_clear_error();
  supply_ = data;
  supply_size_ = size;
}

void TlsChannel::ReadFrom(int fd) {
  fd_ = fd;
  // Read ahead: each recv fills as much of the SSL's buffer as the socket has.
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_default_read_buffer_len(ssl_, kSocketReadBytes);
}

int TlsChannel::ReadBio(BIO* bio, char* out, std::size_t size, std::size_t* read) {
  auto* channel = static_cast<TlsChannel*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *read = 0;
  if (channel->supply_size_ == 0 && channel->fd_ >= 0 && !channel->socket_drained_ &&
      channel->socket_end_ < 0) {
    ssize_t got;
    do {
      got = ::recv(channel->fd_, out, size, 0);
    } while (got < 0 && errno == EINTR);
    if (got > 0) {
      channel->received_bytes_ += static_cast<std::size_t>(got);
      channel->socket_drained_ = static_cast<std::size_t>(got) < size;
      *read = static_cast<std::size_t>(got);
      return 1;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      channel->socket_drained_ = true;
    } else {
      // Told apart from "no more yet" by socket_end(), so the SSL only sees a pause.
      channel->socket_end_ = got == 0 ? 0 : errno;
    }
  }
  if (channel->supply_size_ == 0) {
    BIO_set_retry_read(bio);  // not the end of the stream: more will be supplied
    return 0;
  }
  const std::size_t taken = std::min(size, channel->supply_size_);
  std::memcpy(out, channel->supply_, taken);
  channel->supply_ += taken;
  channel->supply_size_ -= taken;
  *read = taken;
  return 1;
}

int TlsChannel::WriteBio(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  auto* channel = static_cast<TlsChannel*>(BIO_get_data(bio));
  channel->target_->append(data, size);
  *written = size;
  return 1;
}

TlsChannel::ReadResult TlsChannel::Read(char* out, std::size_t capacity, std::size_t* read,
                                        std::string* error) {
  *read = 0;
  const int result = SSL_read_ex(ssl_, out, capacity, read);
  if (result == 1) {
    return ReadResult::kData;
  }
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      // Our BIO ran dry: everything supplied was taken (the handshake's rest too).
      std::string().swap(carried_);
      supply_ = nullptr;
      return ReadResult::kNeedMore;
    case SSL_ERROR_ZERO_RETURN:
      return ReadResult::kClosed;
    default:
      *error = LastTlsError("TLS record");
      return ReadResult::kFailed;
  }
}

absl::Status TlsChannel::Seal(absl::string_view plaintext, std::string* records) {
  target_ = records;
  absl::Status status;
  // asio set SSL_MODE_ENABLE_PARTIAL_WRITE, so each call may seal one record only.
  while (!plaintext.empty()) {
    ERR_clear_error();
    const int chunk = static_cast<int>(std::min<std::size_t>(plaintext.size(), INT_MAX));
    const int result = SSL_write(ssl_, plaintext.data(), chunk);
    if (result <= 0) {
      status = absl::InternalError(LastTlsError("TLS seal"));
      break;
    }
    plaintext.remove_prefix(static_cast<std::size_t>(result));
  }
  target_ = &pending_;
  return status;
}

}  // namespace bench
