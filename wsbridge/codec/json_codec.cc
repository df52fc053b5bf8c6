#include "wsbridge/codec/json_codec.h"

#include <cstring>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace wsbridge {
namespace {

// Error messages echo at most this much of what protobuf said.
constexpr std::size_t kMaxDetailBytes = 200;

// protobuf appends an excerpt of the input and a caret on later lines; keep the first.
std::string FirstLine(absl::string_view text) {
  const std::size_t end = text.find('\n');
  return chat::SanitizeUtf8(text.substr(0, end), kMaxDetailBytes);
}

}  // namespace

absl::Status JsonCodec::ParseClientEvent(absl::string_view text,
                                         chat::v1::ClientEvent* event) const {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  event->Clear();
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), event, options);
  if (!status.ok()) {
    std::string detail = FirstLine(status.message().ToString());
    if (absl::StartsWith(detail, ": ")) {
      detail.erase(0, 2);  // protobuf's empty field path
    }
    if (detail.empty()) {
      detail = "not a JSON object";
    }
    return absl::InvalidArgumentError(
        absl::StrCat("frame is not a ClientEvent in JSON: ", detail));
  }
  if (event->event_case() == chat::v1::ClientEvent::EVENT_NOT_SET) {
    return absl::InvalidArgumentError(
        "frame names no event: expected one of join, send, typing, leave, presencePage,"
        " historyPage, refresh");
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> JsonCodec::EncodeServerEvent(const chat::v1::ServerEvent& event) const {
  auto text = std::make_shared<std::string>();
  const auto status = google::protobuf::util::MessageToJsonString(event, text.get());
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot encode a ServerEvent: ", status.message().ToString()));
  }
  return Frame(std::move(text));
}

absl::StatusOr<Frame> JsonCodec::EncodeServerEventBytes(absl::string_view bytes) const {
  chat::v1::ServerEvent event;
  if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError("roomd sent bytes that are not a ServerEvent");
  }
  return EncodeServerEvent(event);
}

std::size_t BatchFrameSize(std::size_t joined_event_bytes) {
  return kBatchFrameHead.size() + joined_event_bytes + kBatchFrameTail.size();
}

void WriteBatchFrame(const chat::RingDeque<Frame>& events, std::size_t count, char* out) {
  const auto put = [&out](absl::string_view bytes) {
    std::memcpy(out, bytes.data(), bytes.size());
    out += bytes.size();
  };
  put(kBatchFrameHead);
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) {
      *out++ = ',';
    }
    put(*events[i]);
  }
  put(kBatchFrameTail);
}

void AppendBatchFrame(const chat::RingDeque<Frame>& events, std::size_t count, std::string* out) {
  std::size_t joined = count > 0 ? count - 1 : 0;
  for (std::size_t i = 0; i < count; ++i) {
    joined += events[i]->size();
  }
  const std::size_t start = out->size();
  out->resize(start + BatchFrameSize(joined));
  WriteBatchFrame(events, count, out->data() + start);
}

Frame JsonCodec::EncodeError(absl::StatusCode code, absl::string_view message) const {
  chat::v1::ServerEvent event;
  event.mutable_error()->set_code(absl::StatusCodeToString(code));
  event.mutable_error()->set_message(chat::SanitizeUtf8(message, message.size()));
  auto encoded = EncodeServerEvent(event);
  if (!encoded.ok()) {
    // Unreachable with sanitized text, but never leave the browser without an answer.
    return std::make_shared<const std::string>(
        R"({"error":{"code":"INTERNAL","message":"cannot encode an error"}})");
  }
  return *std::move(encoded);
}

}  // namespace wsbridge
