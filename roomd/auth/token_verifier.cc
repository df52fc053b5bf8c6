#include "roomd/auth/token_verifier.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/secret_file.h"
#include "common/utf8.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "roomd/core/identity.h"

namespace roomd::auth {
namespace {

using google::protobuf::Value;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

absl::Status Refused(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

const char* Name(TokenVerifier::Algorithm algorithm) {
  switch (algorithm) {
    case TokenVerifier::Algorithm::kHs256:
      return "HS256";
    case TokenVerifier::Algorithm::kRs256:
      return "RS256";
    case TokenVerifier::Algorithm::kEs256:
      return "ES256";
  }
  return "?";
}

jwt_alg_t LibjwtAlgorithm(TokenVerifier::Algorithm algorithm) {
  switch (algorithm) {
    case TokenVerifier::Algorithm::kHs256:
      return JWT_ALG_HS256;
    case TokenVerifier::Algorithm::kRs256:
      return JWT_ALG_RS256;
    case TokenVerifier::Algorithm::kEs256:
      return JWT_ALG_ES256;
  }
  return JWT_ALG_INVAL;
}

// One claim as a JSON value (libjwt hands out its JSON text; protobuf's JSON parser reads
// it), or nullopt when the token does not have it.
std::optional<Value> Claim(jwt_t* jwt, const char* name) {
  char* json = jwt_get_grants_json(jwt, name);
  if (json == nullptr) {
    return std::nullopt;
  }
  Value value;
  const bool parsed = google::protobuf::util::JsonStringToMessage(json, &value).ok();
  std::free(json);
  if (!parsed) {
    return std::nullopt;
  }
  return value;
}

// A string claim: absent is "", present but not a string is an error.
absl::StatusOr<std::string> StringClaim(jwt_t* jwt, const char* name) {
  std::optional<Value> value = Claim(jwt, name);
  if (!value.has_value()) {
    return std::string();
  }
  if (value->kind_case() != Value::kStringValue) {
    return Refused(absl::StrCat("claim ", name, " is not a string"));
  }
  return value->string_value();
}

// A NumericDate claim (seconds since the epoch), or nullopt when absent.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(jwt_t* jwt, const char* name) {
  std::optional<Value> value = Claim(jwt, name);
  if (!value.has_value()) {
    return std::nullopt;
  }
  if (value->kind_case() != Value::kNumberValue) {
    return Refused(absl::StrCat("claim ", name, " is not a number"));
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(value->number_value()));
}

absl::Status CheckAudience(jwt_t* jwt, const std::string& audience) {
  std::optional<Value> value = Claim(jwt, "aud");
  if (value.has_value() && value->kind_case() == Value::kStringValue &&
      value->string_value() == audience) {
    return absl::OkStatus();
  }
  if (value.has_value() && value->kind_case() == Value::kListValue) {
    for (const Value& entry : value->list_value().values()) {
      if (entry.kind_case() == Value::kStringValue && entry.string_value() == audience) {
        return absl::OkStatus();
      }
    }
  }
  return Refused("wrong audience");
}

absl::StatusOr<std::optional<std::vector<std::string>>> RoomsClaim(jwt_t* jwt) {
  std::optional<Value> value = Claim(jwt, "rooms");
  if (!value.has_value()) {
    return std::nullopt;
  }
  if (value->kind_case() != Value::kListValue) {
    return Refused("claim rooms is not a list");
  }
  std::vector<std::string> rooms;
  for (const Value& entry : value->list_value().values()) {
    if (entry.kind_case() != Value::kStringValue ||
        !ValidateRoomPattern(entry.string_value()).ok()) {
      return Refused("claim rooms holds something that is not a room name or prefix");
    }
    rooms.push_back(entry.string_value());
  }
  return rooms;
}

absl::Status CheckSubject(absl::string_view subject) {
  if (subject.empty()) {
    return Refused("token has no sub");
  }
  if (subject.size() > kMaxSubjectBytes || !chat::IsValidUtf8(subject) ||
      chat::HasControlCharacters(subject, /*allow_newline_tab=*/false)) {
    return Refused("claim sub is too long or has control characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<const TokenVerifier>> TokenVerifier::Load(
    const VerifierConfig& config) {
  if (config.secret_file.empty() == config.public_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--auth=jwt needs exactly one of --jwt_secret_file and --jwt_public_key_file");
  }
  if (!config.secret_file.empty()) {
    absl::StatusOr<std::string> secret = chat::ReadSecretFile(config.secret_file, "HS256 secret");
    if (!secret.ok()) {
      return secret.status();
    }
    return FromSecret(*std::move(secret), config);
  }
  absl::StatusOr<std::string> pem = ReadFile(config.public_key_file);
  if (!pem.ok()) {
    return pem.status();
  }
  return FromPublicKeyPem(*std::move(pem), config);
}

absl::StatusOr<std::unique_ptr<const TokenVerifier>> TokenVerifier::FromSecret(
    std::string secret, const VerifierConfig& checks) {
  if (absl::EndsWith(secret, "\n")) {
    secret.pop_back();  // one trailing newline, as `echo` and editors leave it
  }
  if (secret.size() < chat::kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the HS256 secret must be at least ", chat::kMinSecretBytes, " bytes"));
  }
  return std::unique_ptr<const TokenVerifier>(
      new TokenVerifier(Algorithm::kHs256, std::move(secret), checks));
}

absl::StatusOr<std::unique_ptr<const TokenVerifier>> TokenVerifier::FromPublicKeyPem(
    std::string pem, const VerifierConfig& checks) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
      &EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError("the JWT public key file holds no PEM public key");
  }
  Algorithm algorithm;
  if (EVP_PKEY_base_id(key.get()) == EVP_PKEY_RSA) {
    algorithm = Algorithm::kRs256;
  } else if (EVP_PKEY_base_id(key.get()) == EVP_PKEY_EC) {
    char group[64] = {};
    size_t length = 0;
    if (EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &length) != 1 ||
        absl::string_view(group, length) != "prime256v1") {
      return absl::InvalidArgumentError("an EC public key must be on P-256 (for ES256)");
    }
    algorithm = Algorithm::kEs256;
  } else {
    return absl::InvalidArgumentError("the JWT public key must be RSA (RS256) or P-256 (ES256)");
  }
  return std::unique_ptr<const TokenVerifier>(
      new TokenVerifier(algorithm, std::move(pem), checks));
}

absl::StatusOr<Claims> TokenVerifier::Verify(absl::string_view token, absl::Time now) const {
  if (token.empty()) {
    return Refused("missing token");
  }
  if (token.size() > kMaxTokenBytes) {
    return Refused(absl::StrCat("token too large (over ", kMaxTokenBytes, " bytes)"));
  }
  const std::string text(token);  // libjwt wants it NUL-terminated
  // First without the key, only to read the header: the key alone decides the algorithm,
  // so a token that names another one (`none`, or HS256 "signed" with a public key) is
  // refused before its signature is looked at.
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), nullptr, 0) != 0) {
    return Refused("malformed token");
  }
  JwtPtr unverified(raw);
  // The header as written (libjwt reports a token decoded without a key as `none`).
  const char* header_alg = jwt_get_header(unverified.get(), "alg");
  if (header_alg == nullptr) {
    return Refused("malformed token: no alg");
  }
  if (absl::string_view(header_alg) != Name(algorithm_)) {
    return Refused(absl::StrCat("algorithm ", absl::string_view(header_alg).substr(0, 16),
                                " not accepted (", Name(algorithm_), " only)"));
  }
  unverified.reset();
  raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size())) != 0) {
    return Refused("bad signature");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != LibjwtAlgorithm(algorithm_)) {
    return Refused("bad signature");  // unreachable: the header was checked above
  }

  absl::StatusOr<std::optional<absl::Time>> expires = TimeClaim(jwt.get(), "exp");
  if (!expires.ok()) {
    return expires.status();
  }
  if (!expires->has_value()) {
    return Refused("token has no exp");
  }
  if (now > **expires + checks_.leeway) {
    return Refused("token expired");
  }
  absl::StatusOr<std::optional<absl::Time>> not_before = TimeClaim(jwt.get(), "nbf");
  if (!not_before.ok()) {
    return not_before.status();
  }
  if (not_before->has_value() && now + checks_.leeway < **not_before) {
    return Refused("token not yet valid");
  }
  if (!checks_.issuer.empty()) {
    absl::StatusOr<std::string> issuer = StringClaim(jwt.get(), "iss");
    if (!issuer.ok() || *issuer != checks_.issuer) {
      return Refused("wrong issuer");
    }
  }
  if (!checks_.audience.empty()) {
    if (absl::Status status = CheckAudience(jwt.get(), checks_.audience); !status.ok()) {
      return status;
    }
  }

  Claims claims;
  claims.expires_at = **expires;
  absl::StatusOr<std::string> subject = StringClaim(jwt.get(), "sub");
  if (!subject.ok()) {
    return subject.status();
  }
  if (absl::Status status = CheckSubject(*subject); !status.ok()) {
    return status;
  }
  claims.subject = *std::move(subject);
  absl::StatusOr<std::string> name = StringClaim(jwt.get(), "name");
  if (!name.ok()) {
    return name.status();
  }
  claims.name = *std::move(name);
  absl::StatusOr<std::string> email = StringClaim(jwt.get(), "email");
  if (!email.ok()) {
    return email.status();
  }
  if (!email->empty() && !ValidateEmail(*email).ok()) {
    return Refused("claim email is not an email address");
  }
  claims.email = *std::move(email);
  absl::StatusOr<std::optional<std::vector<std::string>>> rooms = RoomsClaim(jwt.get());
  if (!rooms.ok()) {
    return rooms.status();
  }
  claims.rooms = *std::move(rooms);
  std::optional<Value> bot = Claim(jwt.get(), "bot");
  claims.bot = bot.has_value() && bot->kind_case() == Value::kBoolValue && bot->bool_value();
  return claims;
}

}  // namespace roomd::auth
