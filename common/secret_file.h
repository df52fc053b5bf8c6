#pragma once

// Secrets shared by files (the relay secret, the HS256 key): the file's bytes without one
// trailing newline, as `openssl rand -hex 32 > file` and editors leave it. Both daemons
// read them the same way.

#include <string>

#include "absl/status/statusor.h"

namespace chat {

// The gateway's relay secret travels in this metadata of every Relay call.
inline constexpr char kRelaySecretMetadata[] = "chat-relay-secret";

// Secrets shorter than this are refused (guessable).
inline constexpr size_t kMinSecretBytes = 32;

// The secret in `path`; INVALID_ARGUMENT if it cannot be read or is shorter than
// kMinSecretBytes (`what` names it in the message).
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const char* what);

}  // namespace chat
