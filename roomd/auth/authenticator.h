#pragma once

// Who may do what, for the whole server: the auth mode, the current token verifier and the
// relay secret. Keys reload on SIGHUP (Reload) without touching live sessions: each
// verification takes the verifier current at that moment. Thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"
#include "roomd/auth/claims.h"
#include "roomd/auth/token_verifier.h"
#include "roomd/core/server_options.h"

namespace roomd::auth {

class Authenticator {
 public:
  // Loads the keys the options name; INVALID_ARGUMENT if one cannot be read or used.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const ServerOptions& options);

  // --auth=jwt: every session and call needs a token.
  bool jwt() const { return jwt_; }
  // How long past `exp` a token still counts (--jwt_leeway).
  absl::Duration leeway() const { return config_.leeway; }

  // A token's claims, or UNAUTHENTICATED with the reason. Only meaningful in jwt mode.
  absl::StatusOr<Claims> Verify(absl::string_view token) const;

  // Whether a Relay call may go on: OK without a configured secret, or when the call came
  // with a client certificate the server verified (mutual TLS), or presented `secret`
  // (metadata chat-relay-secret, "" when absent) equal to the configured one; else
  // UNAUTHENTICATED.
  absl::Status AdmitRelay(absl::string_view secret, bool verified_client_certificate) const;
  // A relay secret is configured.
  bool relay_protected() const;

  // Re-reads the key and the relay secret; on failure the old ones stay.
  absl::Status Reload();

 private:
  explicit Authenticator(const ServerOptions& options);

  const bool jwt_;
  VerifierConfig config_;
  const std::string relay_secret_file_;

  mutable chat::Mutex mu_;
  std::shared_ptr<const TokenVerifier> verifier_ ABSL_GUARDED_BY(mu_);
  std::string relay_secret_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd::auth
