#include "bench/payload.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace bench {
namespace {

// Reads a decimal number at `*pos` up to the next space or the end; false if none.
bool ReadNumber(absl::string_view text, std::size_t* pos, uint64_t* out) {
  uint64_t value = 0;
  std::size_t i = *pos;
  const std::size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 20) {
    value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == start) {
    return false;
  }
  *out = value;
  *pos = i;
  return true;
}

}  // namespace

std::string FormatPayload(const Payload& payload, std::size_t min_bytes) {
  std::string text =
      absl::StrCat(kPayloadMarker, payload.sender, " ", payload.seq, " ", payload.sent_ns);
  if (text.size() < min_bytes) {
    text.push_back(' ');
    text.resize(std::max(min_bytes, text.size()), 'x');
  }
  return text;
}

std::optional<Payload> ParsePayload(absl::string_view text) {
  if (text.substr(0, kPayloadMarker.size()) != kPayloadMarker) {
    return std::nullopt;
  }
  std::size_t pos = kPayloadMarker.size();
  uint64_t sender = 0;
  uint64_t seq = 0;
  uint64_t sent_ns = 0;
  if (!ReadNumber(text, &pos, &sender) || pos >= text.size() || text[pos++] != ' ' ||
      !ReadNumber(text, &pos, &seq) || pos >= text.size() || text[pos++] != ' ' ||
      !ReadNumber(text, &pos, &sent_ns) || sender > UINT32_MAX ||
      sent_ns > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return Payload{static_cast<uint32_t>(sender), seq, static_cast<int64_t>(sent_ns)};
}

}  // namespace bench
