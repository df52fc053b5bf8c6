#pragma once

// The wire tags of chat.v1.RelayUp / RelayDown (proto/chat/v1/chat.proto) and the varint
// helpers both ends use to read and write relay frames without copying the events inside.

#include <cstddef>
#include <cstdint>
#include <string>

namespace chat::relay_wire {

constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

// RelayUp.items and RelayDown.items.
constexpr uint32_t kItemsTag = Tag(1, kLengthDelimited);
// RelayUpItem and RelayDownItem.session.
constexpr uint32_t kSessionTag = Tag(1, kVarint);
// RelayUpItem.event, .close, .cancel.
constexpr uint32_t kUpEventTag = Tag(2, kLengthDelimited);
constexpr uint32_t kUpCloseTag = Tag(3, kVarint);
constexpr uint32_t kUpCancelTag = Tag(4, kVarint);
// RelayDownItem.event, .done, .code, .message.
constexpr uint32_t kDownEventTag = Tag(2, kLengthDelimited);
constexpr uint32_t kDownDoneTag = Tag(3, kVarint);
constexpr uint32_t kDownCodeTag = Tag(4, kVarint);
constexpr uint32_t kDownMessageTag = Tag(5, kLengthDelimited);
// RelayDownItem.more_sessions: packed when written; a reader takes either form.
constexpr uint32_t kDownMoreSessionsTag = Tag(6, kLengthDelimited);
constexpr uint32_t kDownMoreSessionTag = Tag(6, kVarint);

inline void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

inline size_t VarintSize(uint64_t value) {
  size_t n = 1;
  for (; value >= 0x80; value >>= 7) {
    ++n;
  }
  return n;
}

}  // namespace chat::relay_wire
