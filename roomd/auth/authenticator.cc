#include "roomd/auth/authenticator.h"

#include <openssl/crypto.h>

#include "absl/time/clock.h"
#include "common/secret_file.h"

namespace roomd::auth {

Authenticator::Authenticator(const ServerOptions& options)
    : jwt_(options.auth == "jwt"), relay_secret_file_(options.relay_secret_file) {
  config_.secret_file = options.jwt_secret_file;
  config_.public_key_file = options.jwt_public_key_file;
  config_.issuer = options.jwt_issuer;
  config_.audience = options.jwt_audience;
  config_.leeway = options.jwt_leeway;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const ServerOptions& options) {
  if (options.auth != "open" && options.auth != "jwt") {
    return absl::InvalidArgumentError("--auth must be \"open\" or \"jwt\"");
  }
  std::unique_ptr<Authenticator> auth(new Authenticator(options));
  if (absl::Status status = auth->Reload(); !status.ok()) {
    return status;
  }
  return auth;
}

absl::Status Authenticator::Reload() {
  std::shared_ptr<const TokenVerifier> verifier;
  if (jwt_) {
    absl::StatusOr<std::unique_ptr<const TokenVerifier>> loaded = TokenVerifier::Load(config_);
    if (!loaded.ok()) {
      return loaded.status();
    }
    verifier = *std::move(loaded);
  }
  std::string relay_secret;
  if (!relay_secret_file_.empty()) {
    absl::StatusOr<std::string> read = chat::ReadSecretFile(relay_secret_file_, "relay secret");
    if (!read.ok()) {
      return read.status();
    }
    relay_secret = *std::move(read);
  }
  chat::MutexLock lock(&mu_);
  verifier_ = std::move(verifier);
  relay_secret_ = std::move(relay_secret);
  return absl::OkStatus();
}

absl::StatusOr<Claims> Authenticator::Verify(absl::string_view token) const {
  std::shared_ptr<const TokenVerifier> verifier;
  {
    chat::MutexLock lock(&mu_);
    verifier = verifier_;
  }
  if (verifier == nullptr) {
    return absl::UnauthenticatedError("tokens are not in use (--auth=open)");
  }
  return verifier->Verify(token, absl::Now());
}

bool Authenticator::relay_protected() const {
  chat::MutexLock lock(&mu_);
  return !relay_secret_.empty();
}

absl::Status Authenticator::AdmitRelay(absl::string_view secret,
                                       bool verified_client_certificate) const {
  chat::MutexLock lock(&mu_);
  if (relay_secret_.empty() || verified_client_certificate) {
    return absl::OkStatus();
  }
  // Constant time: the comparison must not tell how much of a guess was right.
  if (secret.size() == relay_secret_.size() &&
      CRYPTO_memcmp(secret.data(), relay_secret_.data(), secret.size()) == 0) {
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError(secret.empty() ? "Relay needs metadata chat-relay-secret"
                                                   : "wrong chat-relay-secret");
}

}  // namespace roomd::auth
