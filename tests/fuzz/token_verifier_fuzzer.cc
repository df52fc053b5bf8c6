// Fuzzes the token path of --auth=jwt: whatever bytes arrive as a token (Join.token, the
// `authorization` metadata, a refresh), and whatever claims a correctly signed token holds.
// Invariants: arbitrary bytes never verify (they cannot carry the secret's signature); a
// token signed with the secret over fuzzed claims either verifies to claims with a sub and
// an exp, whose User has a 32-digit id and no email in it, or is refused UNAUTHENTICATED;
// nothing crashes, leaks or reads out of bounds.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "roomd/auth/claims.h"
#include "roomd/auth/token_verifier.h"
#include "tests/support/token_minter.h"

namespace {

constexpr char kSecret[] = "fuzz-secret-0123456789-0123456789-0123456789";

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

const roomd::auth::TokenVerifier& Verifier() {
  static const roomd::auth::TokenVerifier* verifier =
      roomd::auth::TokenVerifier::FromSecret(kSecret, roomd::auth::VerifierConfig())
          ->release();
  return *verifier;
}

void CheckVerified(const absl::StatusOr<roomd::auth::Claims>& claims) {
  if (!claims.ok()) {
    Check(claims.status().code() == absl::StatusCode::kUnauthenticated);
    return;
  }
  Check(!claims->subject.empty());
  absl::StatusOr<chat::v1::User> user = roomd::auth::UserFromClaims(*claims);
  if (user.ok()) {
    Check(user->id().size() == 32);
    Check(user->id().find('@') == std::string::npos);
  } else {
    Check(user.status().code() == absl::StatusCode::kUnauthenticated);
  }
  roomd::auth::MayEnter(*claims, "lobby");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const bool sign = input.ConsumeBool();
  const std::string text = input.ConsumeRemainingBytesAsString();
  const absl::Time now = absl::Now();
  if (!sign) {
    Check(!Verifier().Verify(text, now).ok());
    return 0;
  }
  const std::string token = roomd::testing::SignClaimsJson(text, kSecret);
  if (!token.empty()) {
    CheckVerified(Verifier().Verify(token, now));
  }
  return 0;
}
