#pragma once

// Where a browser's TLS session puts the records it writes once its WebSocket is open: a
// BIO of our own in place of the write half of asio's BIO pair. Each record the SSL writes
// is appended to a buffer the caller names, so DirectWriteSocket hands the ciphertext of a
// whole frame to the kernel itself (one sendmsg), without asio's TLS write operations, a
// completion per write, or the copies through the pair. asio's stream still reads: its
// half of the pair stays the SSL's read BIO.
//
// Records the SSL writes outside Seal (an alert after a bad record read, close_notify) go
// to pending(); the socket sends them ahead of its next write, which keeps the records in
// the order the SSL numbered them.
//
// Lifetime: owned by the DirectWriteSocket that owns the SSL's stream, held by unique_ptr
// so the BIO's pointer to it stays valid. Not thread-safe: the session's loop only.

#include <cstddef>
#include <memory>
#include <string>

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

namespace wsbridge {

class TlsRecordSink {
 public:
  // Becomes `ssl`'s write BIO. Null when `ssl` still holds records asio has not sent (never
  // between asio's operations, which each send what they produced) or on allocation
  // failure: the caller then keeps writing through asio.
  static std::unique_ptr<TlsRecordSink> Attach(SSL* ssl);

  TlsRecordSink(const TlsRecordSink&) = delete;
  TlsRecordSink& operator=(const TlsRecordSink&) = delete;

  // Encrypts all of `plaintext` (records of at most 16 KB) and appends the records to `out`.
  boost::system::error_code Seal(const void* plaintext, std::size_t size, std::string* out);

  // Sends close_notify: its record goes to pending().
  void Shutdown();

  // Records written outside Seal, not sent yet.
  std::string& pending() { return pending_; }

 private:
  explicit TlsRecordSink(SSL* ssl) : ssl_(ssl) {}
  static int Write(BIO* bio, const char* data, std::size_t size, std::size_t* written);

  SSL* const ssl_;  // owned by the TLS stream
  std::string pending_;
  std::string* target_ = &pending_;  // where the next record goes
};

}  // namespace wsbridge
