#include "bench/ws_frame_codec.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bench {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReservedBits = 0x70;
constexpr uint8_t kRsv1 = 0x40;
constexpr uint8_t kOpcodeBits = 0x0f;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7f;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr std::size_t kMaxControlPayload = 125;

bool IsControl(WsOpcode opcode) { return static_cast<uint8_t>(opcode) >= 8; }

bool IsKnown(uint8_t opcode) {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

uint64_t ReadBigEndian(const unsigned char* bytes, int count) {
  uint64_t value = 0;
  for (int i = 0; i < count; ++i) {
    value = (value << 8) | bytes[i];
  }
  return value;
}

}  // namespace

absl::Status ParseServerFrame(absl::string_view data, uint64_t max_payload, WsFrame* frame,
                              std::size_t* size, bool deflate) {
  *size = 0;
  if (data.size() < 2) {
    return absl::OkStatus();
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const uint8_t opcode = bytes[0] & kOpcodeBits;
  const uint8_t reserved = bytes[0] & kReservedBits;
  const bool compressed =
      deflate && reserved == kRsv1 && !IsControl(static_cast<WsOpcode>(opcode)) && opcode != 0;
  if (reserved != 0 && !compressed) {
    return absl::InvalidArgumentError("frame with reserved bits set");
  }
  if (!IsKnown(opcode)) {
    return absl::InvalidArgumentError(absl::StrCat("frame with unknown opcode ", opcode));
  }
  if (bytes[1] & kMaskBit) {
    return absl::InvalidArgumentError("masked frame from the server");
  }
  std::size_t header = 2;
  uint64_t length = bytes[1] & kLengthBits;
  if (length == kLength16 || length == kLength64) {
    const int count = length == kLength16 ? 2 : 8;
    if (data.size() < header + count) {
      return absl::OkStatus();
    }
    length = ReadBigEndian(bytes + header, count);
    header += count;
  }
  frame->opcode = static_cast<WsOpcode>(opcode);
  frame->fin = (bytes[0] & kFin) != 0;
  frame->compressed = compressed;
  if (IsControl(frame->opcode) && (!frame->fin || length > kMaxControlPayload)) {
    return absl::InvalidArgumentError("fragmented or oversize control frame");
  }
  if (length > max_payload) {
    return absl::ResourceExhaustedError(
        absl::StrCat("frame of ", length, " bytes (the limit is ", max_payload, ")"));
  }
  if (data.size() - header < length) {
    return absl::OkStatus();
  }
  frame->payload = data.substr(header, static_cast<std::size_t>(length));
  *size = header + static_cast<std::size_t>(length);
  return absl::OkStatus();
}

void AppendClientFrame(WsOpcode opcode, absl::string_view payload, uint32_t mask,
                       std::string* out) {
  unsigned char header[14];
  std::size_t header_size = 2;
  header[0] = static_cast<unsigned char>(kFin | static_cast<uint8_t>(opcode));
  const uint64_t length = payload.size();
  if (length < kLength16) {
    header[1] = static_cast<unsigned char>(kMaskBit | length);
  } else if (length <= 0xffff) {
    header[1] = kMaskBit | kLength16;
    header[2] = static_cast<unsigned char>(length >> 8);
    header[3] = static_cast<unsigned char>(length);
    header_size = 4;
  } else {
    header[1] = kMaskBit | kLength64;
    for (int i = 0; i < 8; ++i) {
      header[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
    }
    header_size = 10;
  }
  unsigned char key[4];
  std::memcpy(key, &mask, sizeof(key));
  std::memcpy(header + header_size, key, sizeof(key));
  header_size += sizeof(key);

  const std::size_t start = out->size();
  out->append(reinterpret_cast<const char*>(header), header_size);
  out->append(payload.data(), payload.size());
  char* masked = out->data() + start + header_size;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    masked[i] = static_cast<char>(masked[i] ^ key[i % 4]);
  }
}

std::string ClosePayload(uint16_t code, absl::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.data(), std::min(reason.size(), kMaxControlPayload - 2));
  return payload;
}

std::string DescribeClose(absl::string_view payload) {
  if (payload.size() < 2) {
    return "1005";
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(payload.data());
  const unsigned code = (unsigned{bytes[0]} << 8) | bytes[1];
  return absl::StrCat(code, " ", payload.substr(2));
}

std::string UpgradeRequest(absl::string_view host, absl::string_view target,
                           absl::string_view key, bool offer_deflate) {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: ", host,
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: ",
                      key, "\r\nSec-WebSocket-Version: 13\r\n",
                      offer_deflate ? "Sec-WebSocket-Extensions: permessage-deflate; "
                                      "client_max_window_bits\r\n"
                                    : "",
                      "User-Agent: chat_bench\r\n\r\n");
}

bool AgreesToDeflate(absl::string_view head) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n", absl::SkipEmpty())) {
    const std::size_t colon = line.find(':');
    if (colon != absl::string_view::npos &&
        absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                               "sec-websocket-extensions") &&
        absl::StartsWith(absl::StripAsciiWhitespace(line.substr(colon + 1)),
                         "permessage-deflate")) {
      return true;
    }
  }
  return false;
}

std::size_t ResponseHeadSize(absl::string_view data) {
  const std::size_t end = data.find("\r\n\r\n");
  return end == absl::string_view::npos ? 0 : end + 4;
}

absl::Status CheckUpgradeResponse(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n", absl::SkipEmpty());
  if (lines.empty()) {
    return absl::UnavailableError("empty upgrade response");
  }
  std::vector<absl::string_view> status = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  int code = 0;
  if (status.size() < 2 || !absl::StartsWith(status[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status[1], &code)) {
    return absl::UnavailableError(absl::StrCat("bad upgrade response: ", lines[0]));
  }
  if (code != 101) {
    return absl::UnavailableError(absl::StrCat("upgrade refused: ", lines[0]));
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      continue;
    }
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(lines[i].substr(0, colon)),
                               "upgrade") &&
        absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)),
                               "websocket")) {
      return absl::OkStatus();
    }
  }
  return absl::UnavailableError("101 response without Upgrade: websocket");
}

}  // namespace bench
