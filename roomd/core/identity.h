#pragma once

// Who a participant is, derived from an email: the public User (id = Gravatar hash of the
// normalized email, name, avatar) — the email itself never leaves this function.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"

namespace roomd {

inline constexpr size_t kMaxEmailLength = 254;
inline constexpr size_t kMaxEmailLocalLength = 64;

// Checks an email (already trimmed) for sensible shape: length, exactly one "@", non-empty
// local part and domain, no spaces or control characters, valid UTF-8.
absl::Status ValidateEmail(absl::string_view email);

// Hex MD5 of `normalized_email` (trimmed, lower-cased): the Gravatar hash.
std::string GravatarHash(absl::string_view normalized_email);

// Builds the User for `email`; `name_override` (Join.name) replaces the default name (the
// part of the email before "@") unless it is empty or blank.
absl::StatusOr<chat::v1::User> MakeUser(absl::string_view email, absl::string_view name_override);

}  // namespace roomd
