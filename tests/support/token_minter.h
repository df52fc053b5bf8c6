#pragma once

// Builds JWTs for tests, good and bad, with libjwt's encoder (and OpenSSL for throwaway
// RSA/EC keys), so every attack on the verifier can be spelled out in a test.

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace roomd::testing {

// A throwaway key pair as PEM text.
struct TestKeyPair {
  std::string private_pem;
  std::string public_pem;
};
TestKeyPair NewRsaKeyPair();
TestKeyPair NewEcP256KeyPair();

// A 48-byte HS256 secret.
inline constexpr char kTestSecret[] = "test-secret-0123456789-0123456789-0123456789-xyz";

struct TokenSpec {
  std::string alg = "HS256";  // "HS256", "RS256", "ES256" or "none"
  std::string key;            // the HS256 secret, or the private PEM
  std::string sub = "alice-id";
  std::string name = "Alice";
  std::string email;
  std::string iss;
  std::string aud;
  std::vector<std::string> rooms;
  bool has_rooms = false;
  bool bot = false;
  bool has_exp = true;
  absl::Time exp = absl::Now() + absl::Hours(1);
  bool has_nbf = false;
  absl::Time nbf;
};

// The signed token (or "" if libjwt refused to build it).
std::string MintToken(const TokenSpec& spec);

// `claims_json` (any text) signed HS256 with `secret`, or "" if libjwt will not take it.
std::string SignClaimsJson(const std::string& claims_json, const std::string& secret);

// The same token with its signature's first character changed.
std::string TamperSignature(const std::string& token);

}  // namespace roomd::testing
