#include "bench/proto_frame_decoder.h"

#include "absl/strings/str_cat.h"

namespace bench {
namespace {

// Field numbers of proto/chat/v1/chat.proto.
constexpr uint32_t kEventWelcome = 1;
constexpr uint32_t kEventMessage = 2;
constexpr uint32_t kEventPresence = 3;
constexpr uint32_t kEventError = 5;
constexpr uint32_t kEventBatch = 6;
constexpr uint32_t kWelcomeOnline = 3;
constexpr uint32_t kWelcomeOnlineCount = 6;
constexpr uint32_t kMessageText = 4;
constexpr uint32_t kPresenceOnlineCount = 4;
constexpr uint32_t kErrorCode = 1;
constexpr uint32_t kErrorMessage = 2;
constexpr uint32_t kErrorClientId = 3;
constexpr uint32_t kBatchEvents = 1;

constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

// A cursor over one message's bytes.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes) : rest_(bytes) {}

  bool done() const { return rest_.empty(); }

  // Reads the next field: its number, wire type, and (length-delimited) its bytes or
  // (varint) its value. False if the bytes are malformed.
  bool Next(uint32_t* field, int* wire_type, absl::string_view* bytes, uint64_t* value) {
    uint64_t key = 0;
    if (!Varint(&key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX) {
      return false;
    }
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<int>(key & 7);
    switch (*wire_type) {
      case kVarint:
        return Varint(value);
      case kFixed64:
        return Skip(8);
      case kFixed32:
        return Skip(4);
      case kLengthDelimited: {
        uint64_t length = 0;
        if (!Varint(&length) || length > rest_.size()) {
          return false;
        }
        *bytes = rest_.substr(0, static_cast<std::size_t>(length));
        rest_.remove_prefix(static_cast<std::size_t>(length));
        return true;
      }
      default:
        return false;  // groups are not used by this schema
    }
  }

 private:
  bool Varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) {
        return false;
      }
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }

  bool Skip(std::size_t n) {
    if (rest_.size() < n) {
      return false;
    }
    rest_.remove_prefix(n);
    return true;
  }

  absl::string_view rest_;
};

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", what, " from roomd"));
}

// Calls `visit(field, wire_type, bytes, value)` for each field of `message`.
template <typename Visit>
absl::Status ForEachField(absl::string_view message, absl::string_view what, Visit visit) {
  WireReader reader(message);
  while (!reader.done()) {
    uint32_t field = 0;
    int wire_type = 0;
    absl::string_view bytes;
    uint64_t value = 0;
    if (!reader.Next(&field, &wire_type, &bytes, &value)) {
      return Malformed(what);
    }
    if (absl::Status status = visit(field, wire_type, bytes, value); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeEvent(absl::string_view event, int64_t now_ns, Participant* participant,
                         bool allow_batch) {
  return ForEachField(event, "ServerEvent", [&](uint32_t field, int wire_type,
                                                absl::string_view bytes, uint64_t) {
    if (wire_type != kLengthDelimited) {
      return absl::OkStatus();  // no scalar fields at this level; skip unknown ones
    }
    switch (field) {
      case kEventMessage: {
        absl::string_view text;
        absl::Status status = ForEachField(bytes, "ChatMessage",
                                           [&](uint32_t f, int wt, absl::string_view b, uint64_t) {
                                             if (f == kMessageText && wt == kLengthDelimited) {
                                               text = b;
                                             }
                                             return absl::OkStatus();
                                           });
        if (status.ok()) {
          participant->OnChatText(text, now_ns);
        }
        return status;
      }
      case kEventBatch:
        if (!allow_batch) {
          return Malformed("nested batch");
        }
        return ForEachField(bytes, "Batch", [&](uint32_t f, int wt, absl::string_view b, uint64_t) {
          if (f == kBatchEvents && wt == kLengthDelimited) {
            return DecodeEvent(b, now_ns, participant, /*allow_batch=*/false);
          }
          return absl::OkStatus();
        });
      case kEventWelcome: {
        std::size_t online = 0;
        uint64_t online_count = 0;  // a big room's Welcome lists a first page only
        absl::Status status = ForEachField(
            bytes, "Welcome", [&](uint32_t f, int wt, absl::string_view, uint64_t varint) {
              online += f == kWelcomeOnline && wt == kLengthDelimited;
              if (f == kWelcomeOnlineCount && wt == kVarint) {
                online_count = varint;
              }
              return absl::OkStatus();
            });
        if (status.ok()) {
          participant->OnWelcome(std::max<std::size_t>(online, online_count), now_ns);
        }
        return status;
      }
      case kEventPresence: {
        uint64_t count = 0;
        absl::Status status = ForEachField(bytes, "Presence",
                                           [&](uint32_t f, int wt, absl::string_view, uint64_t v) {
                                             if (f == kPresenceOnlineCount && wt == kVarint) {
                                               count = v;
                                             }
                                             return absl::OkStatus();
                                           });
        if (status.ok()) {
          participant->OnPresence(static_cast<uint32_t>(count));
        }
        return status;
      }
      case kEventError: {
        absl::string_view code = "UNKNOWN";
        absl::string_view message;
        absl::string_view client_id;
        absl::Status status = ForEachField(bytes, "Error",
                                           [&](uint32_t f, int wt, absl::string_view b, uint64_t) {
                                             if (wt == kLengthDelimited) {
                                               if (f == kErrorCode) {
                                                 code = b;
                                               } else if (f == kErrorMessage) {
                                                 message = b;
                                               } else if (f == kErrorClientId) {
                                                 client_id = b;
                                               }
                                             }
                                             return absl::OkStatus();
                                           });
        if (status.ok()) {
          participant->OnError(code, message, client_id);
        }
        return status;
      }
      default:
        return absl::OkStatus();  // typing, or a kind added later
    }
  });
}

}  // namespace

absl::Status ProtoFrameDecoder::Decode(absl::string_view bytes, int64_t now_ns,
                                       Participant* participant) {
  return DecodeEvent(bytes, now_ns, participant, /*allow_batch=*/true);
}

}  // namespace bench
