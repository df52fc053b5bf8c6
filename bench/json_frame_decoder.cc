#include "bench/json_frame_decoder.h"

#include <cstring>

#include <boost/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bench {
namespace {

namespace json = boost::json;

constexpr absl::string_view kTextKey = "\"text\":\"";

// The next "text" key of a chat message from `pos`, or npos. The key's rarest byte, the 'x',
// is looked up with memchr: string_view::find would stop at every quote, and JSON has one
// every few bytes.
std::size_t FindTextKey(absl::string_view frame, std::size_t pos) {
  constexpr std::size_t kOffsetOfX = 3;  // "te|x|t":"
  std::size_t from = pos + kOffsetOfX;
  while (from < frame.size()) {
    const void* x = std::memchr(frame.data() + from, 'x', frame.size() - from);
    if (x == nullptr) {
      break;
    }
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(x) - frame.data());
    if (frame.substr(at - kOffsetOfX, kTextKey.size()) == kTextKey) {
      return at - kOffsetOfX;
    }
    from = at + 1;
  }
  return absl::string_view::npos;
}

absl::string_view StringOr(const json::object& object, absl::string_view key,
                           absl::string_view fallback = "") {
  const json::value* value = object.if_contains(json::string_view(key.data(), key.size()));
  if (value == nullptr || !value->is_string()) {
    return fallback;
  }
  const json::string& s = value->get_string();
  return absl::string_view(s.data(), s.size());
}

uint32_t UintOr(const json::object& object, absl::string_view key) {
  const json::value* value = object.if_contains(json::string_view(key.data(), key.size()));
  if (value == nullptr) {
    return 0;  // proto3 JSON leaves zero values out
  }
  if (value->is_int64()) {
    return static_cast<uint32_t>(value->get_int64());
  }
  if (value->is_uint64()) {
    return static_cast<uint32_t>(value->get_uint64());
  }
  return 0;
}

absl::Status HandleEvent(const json::value& value, int64_t now_ns, Participant* participant,
                         bool allow_batch) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError("an event is not a JSON object");
  }
  const json::object& event = value.get_object();
  if (const json::value* message = event.if_contains("message")) {
    if (message->is_object()) {
      participant->OnChatText(StringOr(message->get_object(), "text"), now_ns);
    }
    return absl::OkStatus();
  }
  if (const json::value* presence = event.if_contains("presence")) {
    if (presence->is_object()) {
      participant->OnPresence(UintOr(presence->get_object(), "onlineCount"));
    }
    return absl::OkStatus();
  }
  if (const json::value* welcome = event.if_contains("welcome")) {
    std::size_t online = 0;
    if (welcome->is_object()) {
      if (const json::value* list = welcome->get_object().if_contains("online");
          list != nullptr && list->is_array()) {
        online = list->get_array().size();
      }
      // A big room's Welcome lists a first page only; the count is exact.
      online = std::max<std::size_t>(online, UintOr(welcome->get_object(), "onlineCount"));
    }
    participant->OnWelcome(online, now_ns);
    return absl::OkStatus();
  }
  if (const json::value* error = event.if_contains("error")) {
    if (error->is_object()) {
      const json::object& e = error->get_object();
      participant->OnError(StringOr(e, "code", "UNKNOWN"), StringOr(e, "message"),
                           StringOr(e, "clientId"));
    }
    return absl::OkStatus();
  }
  if (event.contains("typing")) {
    return absl::OkStatus();
  }
  if (const json::value* batch = event.if_contains("batch"); batch != nullptr && allow_batch) {
    const json::value* events =
        batch->is_object() ? batch->get_object().if_contains("events") : nullptr;
    if (events == nullptr) {
      return absl::OkStatus();  // an empty batch
    }
    if (!events->is_array()) {
      return absl::InvalidArgumentError("batch.events is not an array");
    }
    for (const json::value& inner : events->get_array()) {
      if (absl::Status status = HandleEvent(inner, now_ns, participant, false); !status.ok()) {
        return status;
      }
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("an event of no known kind");
}

}  // namespace

bool JsonFrameDecoder::NeedsFullParse(absl::string_view frame) {
  // JSON escapes quotes inside strings, so `{"key"` only occurs where an object starts.
  // A chat message's objects open with "message", "room", "id" (and a batch's with "batch",
  // "events"): the first letter rules almost all of them out before any comparison.
  std::size_t pos = 0;
  while ((pos = frame.find("{\"", pos)) != absl::string_view::npos) {
    const absl::string_view key = frame.substr(pos + 2);
    pos += 2;
    if (key.empty() || absl::string_view("wpet").find(key.front()) == absl::string_view::npos) {
      continue;
    }
    if (absl::StartsWith(key, "welcome\"") || absl::StartsWith(key, "presence\"") ||
        absl::StartsWith(key, "error\"") || absl::StartsWith(key, "typing\"")) {
      return true;
    }
  }
  return false;
}

absl::Status JsonFrameDecoder::Decode(absl::string_view frame, int64_t now_ns,
                                      Participant* participant) {
  const bool fast = (absl::StartsWith(frame, "{\"message\":") ||
                     absl::StartsWith(frame, "{\"batch\":")) &&
                    !NeedsFullParse(frame);
  if (fast) {
    // Each chat message has exactly one "text" key (User has none). Benchmark texts hold
    // no characters JSON escapes, so the closing quote ends them.
    std::size_t pos = 0;
    while ((pos = FindTextKey(frame, pos)) != absl::string_view::npos) {
      const std::size_t start = pos + kTextKey.size();
      std::size_t end = start;
      while (end < frame.size() && frame[end] != '"') {
        end += frame[end] == '\\' ? 2 : 1;
      }
      if (end >= frame.size()) {
        return absl::InvalidArgumentError("unterminated text in a message frame");
      }
      participant->OnChatText(frame.substr(start, end - start), now_ns);
      pos = end + 1;
    }
    return absl::OkStatus();
  }
  boost::system::error_code ec;
  const json::value value = json::parse(json::string_view(frame.data(), frame.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("frame is not JSON: ", ec.message()));
  }
  return HandleEvent(value, now_ns, participant, /*allow_batch=*/true);
}

}  // namespace bench
