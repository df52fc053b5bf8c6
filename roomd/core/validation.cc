#include "roomd/core/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace roomd {

absl::Status ValidateRoomName(absl::string_view room) {
  if (room.empty() || room.size() > kMaxRoomNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("room name must be 1-", kMaxRoomNameLength, " characters of [A-Za-z0-9._-]"));
  }
  for (char c : room) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          "room name may only contain letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageText(absl::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message too long: ", text.size(), " bytes, the limit is ", max_bytes));
  }
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("message text is empty");
  }
  if (!chat::IsValidUtf8(text)) {
    return absl::InvalidArgumentError("message text is not valid UTF-8");
  }
  if (chat::HasControlCharacters(text, /*allow_newline_tab=*/true)) {
    return absl::InvalidArgumentError("message text contains control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateClientId(absl::string_view client_id, size_t max_bytes) {
  if (client_id.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_id too long: the limit is ", max_bytes, " bytes"));
  }
  if (!chat::IsValidUtf8(client_id) ||
      chat::HasControlCharacters(client_id, /*allow_newline_tab=*/false)) {
    return absl::InvalidArgumentError("client_id must be printable UTF-8");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeDisplayName(absl::string_view name) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(name);
  const std::optional<size_t> code_points = chat::CountCodePoints(trimmed);
  if (!code_points.has_value()) {
    return absl::InvalidArgumentError("name is not valid UTF-8");
  }
  if (*code_points == 0 || *code_points > kMaxDisplayNameCodePoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("name must be 1-", kMaxDisplayNameCodePoints, " characters"));
  }
  if (chat::HasControlCharacters(trimmed, /*allow_newline_tab=*/false)) {
    return absl::InvalidArgumentError("name contains control characters");
  }
  return std::string(trimmed);
}

absl::Status ValidateHistoryPage(uint64_t after_seq, uint64_t before_seq, uint32_t limit) {
  if (limit > kMaxHistoryLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", limit, " is over the maximum of ",
                                                   kMaxHistoryLimit, " messages per page"));
  }
  if (before_seq != 0 && after_seq != 0 && before_seq <= after_seq) {
    return absl::InvalidArgumentError(absl::StrCat("before_seq (", before_seq,
                                                   ") must be above after_seq (", after_seq,
                                                   "): no message lies between them"));
  }
  return absl::OkStatus();
}

}  // namespace roomd
