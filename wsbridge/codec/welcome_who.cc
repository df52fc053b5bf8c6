#include "wsbridge/codec/welcome_who.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace wsbridge {
namespace {

bool ReadWho(absl::string_view json, WelcomeWho* who) {
  boost::system::error_code error;
  const boost::json::value parsed = boost::json::parse(boost::json::string_view(json.data(), json.size()), error);
  const boost::json::object* root = error ? nullptr : parsed.if_object();
  const boost::json::value* welcome = root != nullptr ? root->if_contains("welcome") : nullptr;
  if (welcome == nullptr || !welcome->is_object()) {
    return false;
  }
  if (const boost::json::value* room = welcome->as_object().if_contains("room");
      room != nullptr && room->is_string()) {
    who->room = std::string(room->as_string());
  }
  if (const boost::json::value* self = welcome->as_object().if_contains("self");
      self != nullptr && self->is_object()) {
    if (const boost::json::value* id = self->as_object().if_contains("id");
        id != nullptr && id->is_string()) {
      who->user_id = std::string(id->as_string());
    }
  }
  return true;
}

}  // namespace

WelcomeWho WhoOfWelcome(absl::string_view frame) {
  WelcomeWho who;
  if (!absl::StartsWith(frame, "{\"welcome\":{")) {
    return who;
  }
  // protobuf's JSON printer writes fields in field-number order: self (1) and room (2)
  // come before the online list (3) and everything long after it. `,"online":` with a bare
  // quote is structure, never text: a quote inside a JSON string is always escaped. So the
  // head up to it, closed, is a Welcome with just self and room. Anything unexpected
  // (another printer, no online list) falls back to the whole frame.
  const size_t online = frame.find(",\"online\":");
  if (online != absl::string_view::npos &&
      ReadWho(absl::StrCat(frame.substr(0, online), "}}"), &who)) {
    return who;
  }
  who = WelcomeWho();
  ReadWho(frame, &who);
  return who;
}

}  // namespace wsbridge
