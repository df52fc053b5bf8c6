#include "roomd/auth/claims.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "roomd/core/identity.h"
#include "roomd/core/validation.h"

namespace roomd::auth {
namespace {

// Hex SHA-256 of `text`, cut to 32 digits: the same length as an open-mode id.
std::string ShortSha256Hex(absl::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return std::string();
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

}  // namespace

absl::Status ValidateRoomPattern(absl::string_view pattern) {
  if (pattern == "*") {
    return absl::OkStatus();
  }
  absl::string_view name = pattern;
  if (absl::ConsumeSuffix(&name, "*")) {
    // A prefix: the same characters as a name, possibly cut anywhere.
    absl::Status status = ValidateRoomName(name);
    return status.ok() ? status
                       : absl::InvalidArgumentError(absl::StrCat("bad room prefix \"",
                                                                 pattern, "\""));
  }
  return ValidateRoomName(name);
}

bool MayEnter(const Claims& claims, absl::string_view room) {
  if (!claims.rooms.has_value()) {
    return true;
  }
  for (const std::string& pattern : *claims.rooms) {
    absl::string_view prefix = pattern;
    if (absl::ConsumeSuffix(&prefix, "*") ? absl::StartsWith(room, prefix) : room == pattern) {
      return true;
    }
  }
  return false;
}

absl::Status CheckRoom(const Claims& claims, absl::string_view room) {
  if (MayEnter(claims, room)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("room \"", room, "\" is not among this token's rooms"));
}

absl::StatusOr<chat::v1::User> UserFromClaims(const Claims& claims) {
  chat::v1::User user;
  // A prefix keeps these ids apart from open mode's Gravatar hashes.
  user.set_id(ShortSha256Hex(absl::StrCat("chat-sub:", claims.subject)));
  if (user.id().empty()) {
    return absl::InternalError("hashing the subject failed");
  }
  absl::string_view name = claims.name;
  if (absl::StripAsciiWhitespace(name).empty()) {
    name = claims.email.empty() ? absl::string_view(claims.subject)
                                : absl::string_view(claims.email).substr(0, claims.email.find('@'));
  }
  absl::StatusOr<std::string> normalized = NormalizeDisplayName(name);
  if (!normalized.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("token makes no usable name: ", normalized.status().message()));
  }
  user.set_name(*std::move(normalized));
  const std::string hash = claims.email.empty()
                               ? user.id()
                               : GravatarHash(absl::AsciiStrToLower(claims.email));
  user.set_avatar_url(absl::StrCat("https://www.gravatar.com/avatar/", hash, "?d=identicon"));
  user.set_bot(claims.bot);
  return user;
}

}  // namespace roomd::auth
