#include "wsbridge/tls/server_tls.h"

#include <openssl/ssl.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace wsbridge {

namespace ssl = boost::asio::ssl;

absl::Status ServerTls::Reload() {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  // TLS 1.2 and 1.3 only; no renegotiation a client could use to make us work.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | SSL_OP_NO_RENEGOTIATION,
                       ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("TLS options: ", ec.message()));
  }
  context->use_certificate_chain_file(cert_file_, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_cert_file ", cert_file_, ": ", ec.message()));
  }
  context->use_private_key_file(key_file_, ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key_file ", key_file_, ": ", ec.message()));
  }
  // A key that does not match the certificate would fail every handshake: say it now.
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_key_file ", key_file_,
                                                   " does not match --tls_cert_file ",
                                                   cert_file_));
  }
  chat::MutexLock lock(&mu_);
  current_ = std::move(context);
  return absl::OkStatus();
}

std::shared_ptr<ssl::context> ServerTls::Current() const {
  chat::MutexLock lock(&mu_);
  return current_;
}

}  // namespace wsbridge
