#include "wsbridge/tls/tls_record_sink.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <climits>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace wsbridge {
namespace {

long RecordSinkControl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  // Nothing is buffered here, so a flush (after each handshake flight) has nothing to do;
  // every other question (pending bytes, kTLS, ...) is answered "no".
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int RecordSinkCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* MakeRecordSinkMethod() {
  BIO_METHOD* method =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wsbridge TLS record sink");
  if (method == nullptr) {
    return nullptr;
  }
  BIO_meth_set_create(method, RecordSinkCreate);
  BIO_meth_set_ctrl(method, RecordSinkControl);
  return method;
}

boost::system::error_code LastRecordSinkError() {
  const unsigned long error = ERR_get_error();
  if (error == 0) {
    return boost::asio::ssl::error::unexpected_result;
  }
  return {static_cast<int>(error), boost::asio::error::get_ssl_category()};
}

}  // namespace

std::unique_ptr<TlsRecordSink> TlsRecordSink::Attach(SSL* ssl) {
  // Made once and never freed, like OpenSSL's own methods.
  static BIO_METHOD* const method = [] {
    BIO_METHOD* made = MakeRecordSinkMethod();
    if (made != nullptr) {
      BIO_meth_set_write_ex(made, &TlsRecordSink::Write);
    }
    return made;
  }();
  BIO* const pair = SSL_get_wbio(ssl);
  if (method == nullptr || pair == nullptr || BIO_wpending(pair) != 0) {
    return nullptr;
  }
  BIO* const bio = BIO_new(method);
  if (bio == nullptr) {
    return nullptr;
  }
  auto sink = std::unique_ptr<TlsRecordSink>(new TlsRecordSink(ssl));
  BIO_set_data(bio, sink.get());
  // The SSL takes `bio` and drops its reference to the pair's half as write BIO; it keeps
  // the one it holds as read BIO (SSL_set_bio took two for the same BIO).
  SSL_set0_wbio(ssl, bio);
  return sink;
}

int TlsRecordSink::Write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  auto* sink = static_cast<TlsRecordSink*>(BIO_get_data(bio));
  sink->target_->append(data, size);
  *written = size;
  return 1;
}

boost::system::error_code TlsRecordSink::Seal(const void* plaintext, std::size_t size,
                                              std::string* out) {
  target_ = out;
  boost::system::error_code ec;
  const char* next = static_cast<const char*>(plaintext);
  // asio sets SSL_MODE_ENABLE_PARTIAL_WRITE, so each call may seal one record only.
  while (size > 0) {
    ERR_clear_error();
    const int chunk = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
    const int result = SSL_write(ssl_, next, chunk);
    if (result <= 0) {
      ec = LastRecordSinkError();
      break;
    }
    next += result;
    size -= static_cast<std::size_t>(result);
  }
  target_ = &pending_;
  return ec;
}

void TlsRecordSink::Shutdown() {
  ERR_clear_error();
  SSL_shutdown(ssl_);  // 0: sent, the peer's not yet read; nobody waits for it
  ERR_clear_error();
}

}  // namespace wsbridge
