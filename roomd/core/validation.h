#pragma once

// Checks of untrusted client input. Each returns INVALID_ARGUMENT with a message meant for
// the person who typed it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace roomd {

inline constexpr size_t kMaxRoomNameLength = 64;
inline constexpr size_t kMaxDisplayNameCodePoints = 64;

// Room names: 1-64 characters of [A-Za-z0-9._-].
absl::Status ValidateRoomName(absl::string_view room);

// Message text: non-blank, at most `max_bytes`, valid UTF-8, no control characters
// other than newline and tab.
absl::Status ValidateMessageText(absl::string_view text, size_t max_bytes);

// Send.client_id: at most `max_bytes`, valid UTF-8, no control characters.
absl::Status ValidateClientId(absl::string_view client_id, size_t max_bytes);

// A display name (Join.name): returns it trimmed; 1-64 code points, valid UTF-8, no control
// characters. An empty or all-blank name is an error here; callers treat "" as "not given".
absl::StatusOr<std::string> NormalizeDisplayName(absl::string_view name);

// History paging (GetHistoryRequest, ClientEvent.history_page): limit at most
// kMaxHistoryLimit; before_seq, when both are set, above after_seq.
inline constexpr uint32_t kMaxHistoryLimit = 1000;
absl::Status ValidateHistoryPage(uint64_t after_seq, uint64_t before_seq, uint32_t limit);

}  // namespace roomd
