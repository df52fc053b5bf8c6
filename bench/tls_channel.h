#pragma once

// One client's TLS session once its handshake is done (asio's stream did it): from then on
// the tool opens and seals the records itself, on BIOs of its own under the SSL. A socket
// read that brought many records then costs one recv and a loop of SSL_read, not one asio
// read operation (a completion, a pass through its BIO pair) per record, which was most of
// what a secure delivery cost the tool beyond decryption.
//
// Reading: from the socket itself (ReadFrom), or Supply() names received ciphertext; Read()
// opens it record by record into the caller's buffer until all of it was taken (kNeedMore).
// A record cut at the end of what was supplied is kept inside the SSL and completed by the
// next Supply, so the caller's ciphertext buffer is free again once Read said kNeedMore.
//
// Lifetime: borrows the SSL, which its asio stream owns and frees; that stream must
// outlive the channel and must do no more I/O of its own. Not thread-safe: the client's
// io thread only.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bench {

class TlsChannel {
 public:
  enum class ReadResult {
    kData,      // plaintext was read
    kNeedMore,  // every supplied byte was taken; more ciphertext is needed
    kClosed,    // the peer sent close_notify
    kFailed,    // a bad record or an alert (the error says which)
  };

  // Puts the channel's BIOs under `ssl` (both of the BIO pair's halves are released).
  // Bytes the handshake received but the SSL has not read yet are kept and opened first.
  static absl::StatusOr<std::unique_ptr<TlsChannel>> TakeOver(SSL* ssl);

  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // The next ciphertext to open; it must stay valid until Read returns anything but kData.
  void Supply(const char* data, std::size_t size);

  // From now on, once what was supplied is taken, the SSL reads its records from `fd`
  // (non-blocking) straight into its own buffer, many records a recv: the kernel's copy is
  // the only one before decryption. A recv that brings less than asked means the socket is
  // most likely empty: Read then says kNeedMore until Readable() is called again.
  void ReadFrom(int fd);
  // The socket is readable again (ReadFrom).
  void Readable() { socket_drained_ = false; }
  // ReadFrom's socket: the bytes received since the last call.
  std::size_t TakeReceivedBytes() { return std::exchange(received_bytes_, 0); }
  // ReadFrom's socket ended (0: the peer closed it) or failed (an errno); -1 while open.
  int socket_end() const { return socket_end_; }

  // Opens records into `out` (at most `capacity` bytes): kData with *read > 0, or why not.
  ReadResult Read(char* out, std::size_t capacity, std::size_t* read, std::string* error);

  // Encrypts all of `plaintext` and appends the records to `records`.
  absl::Status Seal(absl::string_view plaintext, std::string* records);

  // Records the SSL wrote outside Seal, not sent yet.
  std::string& pending() { return pending_; }

 private:
  // ReadFrom's SSL buffer: a few of the bridge's frames, each a record.
  static constexpr int kSocketReadBytes = 64 * 1024;

  explicit TlsChannel(SSL* ssl) : ssl_(ssl) {}
  static int ReadBio(BIO* bio, char* out, std::size_t size, std::size_t* read);
  static int WriteBio(BIO* bio, const char* data, std::size_t size, std::size_t* written);

  SSL* const ssl_;
  std::string carried_;  // what the handshake left unread, supplied first
  const char* supply_ = nullptr;
  std::size_t supply_size_ = 0;
  std::string pending_;
  std::string* target_ = &pending_;  // where the SSL's next record goes
  int fd_ = -1;  // ReadFrom's socket
  bool socket_drained_ = false;
  std::size_t received_bytes_ = 0;
  int socket_end_ = -1;
};

}  // namespace bench
