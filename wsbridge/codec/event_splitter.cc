#include "wsbridge/codec/event_splitter.h"

#include <cstdint>


namespace wsbridge {
namespace {

constexpr int kLengthDelimited = 2;

// Reads one base-128 varint at `*pos`; false if truncated or longer than 10 bytes.
bool ReadVarint(absl::string_view bytes, std::size_t* pos, std::uint64_t* value) {
  std::uint64_t result = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const auto byte = static_cast<std::uint8_t>(bytes[(*pos)++]);
    result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

struct Field {
  int number = 0;
  int wire_type = 0;
  absl::string_view payload;  // only for length-delimited fields
  std::size_t end = 0;        // offset just past the field
};

// Reads the length-delimited field at `pos`; false for anything else or a bad header.
bool ReadLengthDelimited(absl::string_view bytes, std::size_t pos, Field* field) {
  std::uint64_t tag = 0;
  std::uint64_t length = 0;
  if (!ReadVarint(bytes, &pos, &tag) || (tag & 7) != kLengthDelimited ||
      !ReadVarint(bytes, &pos, &length) || length > bytes.size() - pos) {
    return false;
  }
  field->number = static_cast<int>(tag >> 3);
  field->wire_type = kLengthDelimited;
  field->payload = bytes.substr(pos, length);
  field->end = pos + length;
  return true;
}

// The oneof member an element sets, from its first tag (0 if it has none we know).
int FirstField(absl::string_view element) {
  std::size_t pos = 0;
  std::uint64_t tag = 0;
  if (!ReadVarint(element, &pos, &tag)) {
    return 0;
  }
  return static_cast<int>(tag >> 3);
}

}  // namespace

std::vector<EventSlice> SplitServerEvent(absl::string_view bytes) {
  std::vector<EventSlice> out;
  Field top;
  // Only a ServerEvent that is exactly one batch field is split; anything else is passed
  // whole to the full parser, which gives exactly the JSON it always gave.
  if (!ReadLengthDelimited(bytes, 0, &top) || top.number != kBatchField ||
      top.end != bytes.size()) {
    out.push_back(EventSlice{bytes, FirstField(bytes)});
    return out;
  }
  const absl::string_view batch = top.payload;
  std::size_t pos = 0;
  while (pos < batch.size()) {
    Field element;
    if (!ReadLengthDelimited(batch, pos, &element) || element.number != 1) {
      // Unknown batch fields or a bad header: let the full parser decide.
      out.clear();
      out.push_back(EventSlice{bytes, kBatchField});
      return out;
    }
    out.push_back(EventSlice{element.payload, FirstField(element.payload)});
    pos = element.end;
  }
  return out;  // empty for an empty batch: it carries nothing to deliver
}

}  // namespace wsbridge
