#include "roomd/core/identity.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "roomd/core/validation.h"

namespace roomd {
namespace {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

absl::Status ValidateEmail(absl::string_view email) {
  if (email.empty()) {
    return absl::InvalidArgumentError("email is required");
  }
  if (email.size() > kMaxEmailLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("email is too long: the limit is ", kMaxEmailLength, " characters"));
  }
  if (!chat::IsValidUtf8(email)) {
    return absl::InvalidArgumentError("email is not valid UTF-8");
  }
  for (char c : email) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError("email must not contain spaces or control characters");
    }
  }
  if (chat::HasControlCharacters(email, /*allow_newline_tab=*/false)) {
    return absl::InvalidArgumentError("email must not contain spaces or control characters");
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || email.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError("email must contain exactly one \"@\"");
  }
  const absl::string_view local = email.substr(0, at);
  const absl::string_view domain = email.substr(at + 1);
  if (local.empty() || domain.empty()) {
    return absl::InvalidArgumentError("email needs a name before \"@\" and a domain after it");
  }
  if (local.size() > kMaxEmailLocalLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the part of the email before \"@\" is too long: the limit is ", kMaxEmailLocalLength));
  }
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != absl::string_view::npos) {
    return absl::InvalidArgumentError("email domain is malformed");
  }
  return absl::OkStatus();
}

std::string GravatarHash(absl::string_view normalized_email) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter> ctx(EVP_MD_CTX_new());
  // MD5 is what Gravatar specifies; it is an identifier here, not a security measure.
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), normalized_email.data(), normalized_email.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &digest_length) != 1) {
    return std::string();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_length));
}

absl::StatusOr<chat::v1::User> MakeUser(absl::string_view email,
                                        absl::string_view name_override) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(email);
  if (absl::Status status = ValidateEmail(trimmed); !status.ok()) {
    return status;
  }
  const std::string normalized = absl::AsciiStrToLower(trimmed);
  const std::string hash = GravatarHash(normalized);
  if (hash.empty()) {
    return absl::InternalError("hashing the email failed");
  }
  chat::v1::User user;
  if (!absl::StripAsciiWhitespace(name_override).empty()) {
    absl::StatusOr<std::string> name = NormalizeDisplayName(name_override);
    if (!name.ok()) {
      return name.status();
    }
    user.set_name(*std::move(name));
  } else {
    user.set_name(std::string(trimmed.substr(0, trimmed.find('@'))));
  }
  user.set_avatar_url(absl::StrCat("https://www.gravatar.com/avatar/", hash, "?d=identicon"));
  user.set_id(hash);
  return user;
}

}  // namespace roomd
