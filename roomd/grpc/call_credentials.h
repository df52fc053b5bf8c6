#pragma once

// What a call presents: the bearer token (metadata `authorization: Bearer <jwt>`, as
// grpcurl -H sends it), the gateway's relay secret (metadata `chat-relay-secret`), and a
// verified client certificate (mutual TLS).

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/secret_file.h"

namespace roomd {

// The first value of metadata `key`, or "".
inline std::string MetadataValue(const grpc::ServerContextBase& context, absl::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// The token of `authorization: Bearer <token>` (the scheme in any case), or "".
inline std::string BearerToken(const grpc::ServerContextBase& context) {
  const std::string value = MetadataValue(context, "authorization");
  absl::string_view rest = value;
  if (!absl::StartsWithIgnoreCase(rest, "bearer ")) {
    return std::string();
  }
  rest.remove_prefix(7);
  return std::string(absl::StripAsciiWhitespace(rest));
}

// The call came over mutual TLS with a client certificate the server verified.
inline bool HasVerifiedClientCertificate(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  return auth != nullptr && auth->IsPeerAuthenticated() &&
         !auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty();
}

}  // namespace roomd
