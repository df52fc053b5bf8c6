#pragma once

// What a verified token says about its holder (--auth=jwt), and what follows from it: the
// public User and the rooms it may touch. Pure functions; the verifier fills the struct.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"

namespace roomd::auth {

inline constexpr size_t kMaxSubjectBytes = 256;

struct Claims {
  std::string subject;  // `sub`: one account, across tabs and nodes
  std::string name;     // `name`, may be empty
  std::string email;    // `email`, may be empty; only ever hashed for Gravatar
  // `rooms`: names and prefixes ending in "*"; nullopt (no claim) allows every room.
  std::optional<std::vector<std::string>> rooms;
  bool bot = false;     // `bot: true`
  absl::Time expires_at = absl::InfiniteFuture();  // `exp`, without the leeway
};

// Checks one entry of `rooms`: a room name, or a prefix of one followed by "*" ("*" alone
// is every room).
absl::Status ValidateRoomPattern(absl::string_view pattern);

// Whether `claims` allow `room` (an exact entry, or an entry "prefix*" that it starts with).
bool MayEnter(const Claims& claims, absl::string_view room);

// PERMISSION_DENIED naming the room, unless the claims allow it.
absl::Status CheckRoom(const Claims& claims, absl::string_view room);

// The public User: id derived from `sub` (never an email), name from `name`, else the part
// of `email` before "@", else `sub`; avatar from the email's Gravatar hash (or an identicon
// of the id); bot from `bot`. UNAUTHENTICATED if the claims cannot make a name.
absl::StatusOr<chat::v1::User> UserFromClaims(const Claims& claims);

}  // namespace roomd::auth
