#include "tests/support/token_minter.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace roomd::testing {
namespace {

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

TestKeyPair PemPair(EVP_PKEY* key) {
  TestKeyPair pair;
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub.get(), key);
  pair.private_pem = BioText(priv.get());
  pair.public_pem = BioText(pub.get());
  EVP_PKEY_free(key);
  return pair;
}

// The token libjwt encodes from `jwt`, or "" if it will not.
std::string Encode(jwt_t* jwt) {
  char* token = jwt_encode_str(jwt);
  if (token == nullptr) {
    return "";
  }
  std::string result(token);
  std::free(token);
  return result;
}

}  // namespace

TestKeyPair NewRsaKeyPair() { return PemPair(EVP_RSA_gen(2048)); }

TestKeyPair NewEcP256KeyPair() { return PemPair(EVP_EC_gen("P-256")); }

std::string MintToken(const TokenSpec& spec) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) {
    return "";
  }
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
  if (!spec.sub.empty()) {
    jwt_add_grant(jwt.get(), "sub", spec.sub.c_str());
  }
  if (!spec.name.empty()) {
    jwt_add_grant(jwt.get(), "name", spec.name.c_str());
  }
  if (!spec.email.empty()) {
    jwt_add_grant(jwt.get(), "email", spec.email.c_str());
  }
  if (!spec.iss.empty()) {
    jwt_add_grant(jwt.get(), "iss", spec.iss.c_str());
  }
  if (!spec.aud.empty()) {
    jwt_add_grant(jwt.get(), "aud", spec.aud.c_str());
  }
  if (spec.has_exp) {
    jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(absl::ToUnixSeconds(spec.exp)));
  }
  if (spec.has_nbf) {
    jwt_add_grant_int(jwt.get(), "nbf", static_cast<long>(absl::ToUnixSeconds(spec.nbf)));
  }
  if (spec.bot) {
    jwt_add_grant_bool(jwt.get(), "bot", 1);
  }
  if (spec.has_rooms) {
    std::vector<std::string> quoted;
    for (const std::string& room : spec.rooms) {
      quoted.push_back(absl::StrCat("\"", room, "\""));
    }
    const std::string json = absl::StrCat("{\"rooms\":[", absl::StrJoin(quoted, ","), "]}");
    jwt_add_grants_json(jwt.get(), json.c_str());
  }
  const jwt_alg_t alg = jwt_str_alg(spec.alg.c_str());
  if (alg == JWT_ALG_NONE) {
    jwt_set_alg(jwt.get(), JWT_ALG_NONE, nullptr, 0);
  } else if (jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(spec.key.data()),
                         static_cast<int>(spec.key.size())) != 0) {
    return "";
  }
  return Encode(jwt.get());
}

std::string SignClaimsJson(const std::string& claims_json, const std::string& secret) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) {
    return "";
  }
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
  if (jwt_add_grants_json(jwt.get(), claims_json.c_str()) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0) {
    return "";
  }
  return Encode(jwt.get());
}

std::string TamperSignature(const std::string& token) {
  std::string tampered = token;
  const size_t dot = tampered.rfind('.');
  if (dot != std::string::npos && dot + 1 < tampered.size()) {
    char& c = tampered[dot + 1];
    c = c == 'A' ? 'B' : 'A';
  }
  return tampered;
}

}  // namespace roomd::testing
