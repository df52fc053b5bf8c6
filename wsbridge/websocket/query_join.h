#pragma once

// The original app's style of joining: /chat?email=ann@example.com&room=lobby
// (optional name and after_seq) makes the bridge send the join for the browser.

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "chat/v1/chat.pb.h"

namespace wsbridge {

// The Join a /chat request target asks for; nullopt if it names neither email nor room.
// Malformed escapes, non-UTF-8 values or a non-numeric after_seq are INVALID_ARGUMENT.
// Unknown parameters are ignored; the values themselves are roomd's to judge.
absl::StatusOr<std::optional<chat::v1::Join>> JoinFromTarget(absl::string_view target);

}  // namespace wsbridge
