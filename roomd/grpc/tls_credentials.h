#pragma once

// The server's transport security from the options: plaintext, TLS (--tls_cert_file,
// --tls_key_file), or mutual TLS (--tls_client_ca_file: every client must present a
// certificate signed by that CA). The files are watched by gRPC and re-read every
// kCertificateRefreshSeconds, so a rotated certificate takes effect without a restart and
// without dropping a connection.

#include <memory>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "roomd/core/server_options.h"

namespace roomd {

inline constexpr unsigned kCertificateRefreshSeconds = 10;

// INVALID_ARGUMENT if a file is missing or unreadable, or a key comes without its
// certificate (or a client CA without both).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerOptions& options);

}  // namespace roomd
