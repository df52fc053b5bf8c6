#pragma once

// Verifies one JWT (--auth=jwt) with libjwt and turns it into Claims. The key fixes the
// one algorithm accepted: an HS256 secret accepts HS256 only, an RSA public key RS256
// only, a P-256 public key ES256 only; `none` never. Every refusal is UNAUTHENTICATED with
// a short reason ("token expired", "bad signature", ...). Immutable once built, so any
// thread may verify; a key reload builds a new one.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "roomd/auth/claims.h"

namespace roomd::auth {

// Larger tokens are refused before any parsing.
inline constexpr size_t kMaxTokenBytes = 8 << 10;

struct VerifierConfig {
  std::string secret_file;      // HS256: the file's bytes, without one trailing newline
  std::string public_key_file;  // RS256 or ES256: a PEM public key
  std::string issuer;           // checked when not empty
  std::string audience;         // checked when not empty
  absl::Duration leeway = absl::Seconds(30);  // for exp and nbf
};

class TokenVerifier {
 public:
  enum class Algorithm { kHs256, kRs256, kEs256 };

  // Reads the key named by `config` (exactly one of the two files).
  static absl::StatusOr<std::unique_ptr<const TokenVerifier>> Load(const VerifierConfig& config);
  // From key bytes: an HS256 secret, or a PEM public key whose type picks RS256 or ES256.
  static absl::StatusOr<std::unique_ptr<const TokenVerifier>> FromSecret(
      std::string secret, const VerifierConfig& checks);
  static absl::StatusOr<std::unique_ptr<const TokenVerifier>> FromPublicKeyPem(
      std::string pem, const VerifierConfig& checks);

  // The token's claims if its signature, algorithm, times, issuer and audience hold at
  // `now`; UNAUTHENTICATED with the reason otherwise.
  absl::StatusOr<Claims> Verify(absl::string_view token, absl::Time now) const;

  Algorithm algorithm() const { return algorithm_; }

 private:
  TokenVerifier(Algorithm algorithm, std::string key, const VerifierConfig& checks)
      : algorithm_(algorithm), key_(std::move(key)), checks_(checks) {}

  const Algorithm algorithm_;
  const std::string key_;
  const VerifierConfig checks_;
};

}  // namespace roomd::auth
