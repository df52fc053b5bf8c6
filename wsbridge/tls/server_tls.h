#pragma once

// The certificate and key the bridge presents on https/wss (--tls_cert_file,
// --tls_key_file), as an ssl::context for new connections. Reload() (SIGHUP) reads the files
// again into a new context: connections already open keep the one they started with (each
// holds its shared_ptr), so rotating a certificate drops nobody.
// Thread-safe.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/status.h"
#include "common/mutex.h"

namespace wsbridge {

class ServerTls {
 public:
  ServerTls(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  // Reads the files into a new context. On failure the current context stays.
  absl::Status Reload();

  // The context for a connection accepted now; null before a successful Reload().
  std::shared_ptr<boost::asio::ssl::context> Current() const;

 private:
  const std::string cert_file_;
  const std::string key_file_;
  mutable chat::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wsbridge
