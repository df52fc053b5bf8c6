#include "roomd/auth/token_verifier.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/time/clock.h"
#include "tests/support/token_minter.h"

namespace roomd::auth {
namespace {

using ::roomd::testing::kTestSecret;
using ::roomd::testing::MintToken;
using ::roomd::testing::TokenSpec;

VerifierConfig Checks() {
  VerifierConfig config;
  config.leeway = absl::Seconds(30);
  return config;
}

std::unique_ptr<const TokenVerifier> HsVerifier(const VerifierConfig& config = Checks()) {
  absl::StatusOr<std::unique_ptr<const TokenVerifier>> verifier =
      TokenVerifier::FromSecret(kTestSecret, config);
  EXPECT_TRUE(verifier.ok()) << verifier.status();
  return *std::move(verifier);
}

TokenSpec Hs() {
  TokenSpec spec;
  spec.key = kTestSecret;
  return spec;
}

// The refusal's code is UNAUTHENTICATED and its message holds `reason`.
void ExpectRefused(const absl::StatusOr<Claims>& claims, const std::string& reason) {
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << claims.status();
  EXPECT_NE(claims.status().message().find(reason), std::string::npos) << claims.status();
}

TEST(TokenVerifierTest, AcceptsAValidHs256Token) {
  TokenSpec spec = Hs();
  spec.email = "Alice@Example.com";
  spec.has_rooms = true;
  spec.rooms = {"lobby", "team-*"};
  spec.bot = true;
  absl::StatusOr<Claims> claims = HsVerifier()->Verify(MintToken(spec), absl::Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice-id");
  EXPECT_EQ(claims->name, "Alice");
  EXPECT_EQ(claims->email, "Alice@Example.com");
  ASSERT_TRUE(claims->rooms.has_value());
  EXPECT_EQ(*claims->rooms, (std::vector<std::string>{"lobby", "team-*"}));
  EXPECT_TRUE(claims->bot);
}

TEST(TokenVerifierTest, TheSecretFileLosesOneTrailingNewline) {
  absl::StatusOr<std::unique_ptr<const TokenVerifier>> verifier =
      TokenVerifier::FromSecret(std::string(kTestSecret) + "\n", Checks());
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE((*verifier)->Verify(MintToken(Hs()), absl::Now()).ok());
}

TEST(TokenVerifierTest, RefusesShortSecretsAndNonKeys) {
  EXPECT_FALSE(TokenVerifier::FromSecret("short", Checks()).ok());
  EXPECT_FALSE(TokenVerifier::FromPublicKeyPem("not a key", Checks()).ok());
  // A private key is not a public key file.
  EXPECT_FALSE(
      TokenVerifier::FromPublicKeyPem(testing::NewEcP256KeyPair().private_pem, Checks()).ok());
}

TEST(TokenVerifierTest, AcceptsRs256AndEs256WithTheirPublicKeys) {
  for (const auto& [alg, keys] :
       {std::pair{std::string("RS256"), testing::NewRsaKeyPair()},
        std::pair{std::string("ES256"), testing::NewEcP256KeyPair()}}) {
    absl::StatusOr<std::unique_ptr<const TokenVerifier>> verifier =
        TokenVerifier::FromPublicKeyPem(keys.public_pem, Checks());
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    TokenSpec spec;
    spec.alg = alg;
    spec.key = keys.private_pem;
    const std::string token = MintToken(spec);
    ASSERT_FALSE(token.empty()) << alg;
    absl::StatusOr<Claims> claims = (*verifier)->Verify(token, absl::Now());
    EXPECT_TRUE(claims.ok()) << alg << ": " << claims.status();
    ExpectRefused((*verifier)->Verify(testing::TamperSignature(token), absl::Now()),
                  "bad signature");
    // The other asymmetric algorithm is not accepted either.
    TokenSpec other = spec;
    other.alg = alg == "RS256" ? "ES256" : "RS256";
    other.key = (alg == "RS256" ? testing::NewEcP256KeyPair() : testing::NewRsaKeyPair())
                    .private_pem;
    ExpectRefused((*verifier)->Verify(MintToken(other), absl::Now()), "not accepted");
  }
}

TEST(TokenVerifierTest, RefusesAlgNone) {
  TokenSpec spec = Hs();
  spec.alg = "none";
  const std::string token = MintToken(spec);
  ASSERT_FALSE(token.empty());
  ExpectRefused(HsVerifier()->Verify(token, absl::Now()), "algorithm none not accepted");
}

TEST(TokenVerifierTest, RefusesHs256SignedWithThePublicKey) {
  const testing::TestKeyPair keys = testing::NewRsaKeyPair();
  absl::StatusOr<std::unique_ptr<const TokenVerifier>> verifier =
      TokenVerifier::FromPublicKeyPem(keys.public_pem, Checks());
  ASSERT_TRUE(verifier.ok());
  TokenSpec spec;
  spec.alg = "HS256";
  spec.key = keys.public_pem;  // the classic confusion: the public key as an HMAC secret
  ExpectRefused((*verifier)->Verify(MintToken(spec), absl::Now()),
                "algorithm HS256 not accepted");
}

TEST(TokenVerifierTest, RefusesABadSignature) {
  ExpectRefused(HsVerifier()->Verify(testing::TamperSignature(MintToken(Hs())), absl::Now()),
                "bad signature");
  TokenSpec other = Hs();
  other.key = std::string(kTestSecret) + "-other";
  ExpectRefused(HsVerifier()->Verify(MintToken(other), absl::Now()), "bad signature");
}

TEST(TokenVerifierTest, ExpiryWithLeeway) {
  const absl::Time now = absl::Now();
  TokenSpec spec = Hs();
  spec.exp = now - absl::Seconds(10);  // within the 30 s leeway
  EXPECT_TRUE(HsVerifier()->Verify(MintToken(spec), now).ok());
  spec.exp = now - absl::Seconds(31);
  ExpectRefused(HsVerifier()->Verify(MintToken(spec), now), "token expired");
  spec.has_exp = false;
  ExpectRefused(HsVerifier()->Verify(MintToken(spec), now), "token has no exp");
}

TEST(TokenVerifierTest, NotBeforeWithLeeway) {
  const absl::Time now = absl::Now();
  TokenSpec spec = Hs();
  spec.has_nbf = true;
  spec.nbf = now + absl::Seconds(10);
  EXPECT_TRUE(HsVerifier()->Verify(MintToken(spec), now).ok());
  spec.nbf = now + absl::Seconds(60);
  ExpectRefused(HsVerifier()->Verify(MintToken(spec), now), "token not yet valid");
}

TEST(TokenVerifierTest, IssuerAndAudience) {
  VerifierConfig config = Checks();
  config.issuer = "https://id.example";
  config.audience = "chat";
  std::unique_ptr<const TokenVerifier> verifier = HsVerifier(config);
  TokenSpec spec = Hs();
  spec.iss = "https://id.example";
  spec.aud = "chat";
  EXPECT_TRUE(verifier->Verify(MintToken(spec), absl::Now()).ok());
  TokenSpec wrong_iss = spec;
  wrong_iss.iss = "https://evil.example";
  ExpectRefused(verifier->Verify(MintToken(wrong_iss), absl::Now()), "wrong issuer");
  TokenSpec no_iss = spec;
  no_iss.iss = "";
  ExpectRefused(verifier->Verify(MintToken(no_iss), absl::Now()), "wrong issuer");
  TokenSpec wrong_aud = spec;
  wrong_aud.aud = "mail";
  ExpectRefused(verifier->Verify(MintToken(wrong_aud), absl::Now()), "wrong audience");
}

TEST(TokenVerifierTest, RefusesATokenWithoutSub) {
  TokenSpec spec = Hs();
  spec.sub = "";
  ExpectRefused(HsVerifier()->Verify(MintToken(spec), absl::Now()), "token has no sub");
}

TEST(TokenVerifierTest, RefusesGarbageAndHugeTokens) {
  std::unique_ptr<const TokenVerifier> verifier = HsVerifier();
  ExpectRefused(verifier->Verify("", absl::Now()), "missing token");
  for (const std::string& garbage : std::vector<std::string>{"garbage", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9..",
                                    "eyJ.eyJ.sig", std::string("\0\xff\x01", 3)}) {
    ExpectRefused(verifier->Verify(garbage, absl::Now()), "");
  }
  ExpectRefused(verifier->Verify(std::string(1 << 20, 'a'), absl::Now()), "token too large");
}

TEST(TokenVerifierTest, RefusesMalformedRooms) {
  TokenSpec spec = Hs();
  spec.has_rooms = true;
  spec.rooms = {"no spaces allowed"};
  ExpectRefused(HsVerifier()->Verify(MintToken(spec), absl::Now()), "claim rooms");
}

}  // namespace
}  // namespace roomd::auth
