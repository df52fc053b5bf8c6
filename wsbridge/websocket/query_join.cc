#include "wsbridge/websocket/query_join.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "wsbridge/http/url.h"

namespace wsbridge {

absl::StatusOr<std::optional<chat::v1::Join>> JoinFromTarget(absl::string_view target) {
  auto params = ParseQuery(TargetQuery(target));
  if (!params.ok()) {
    return params.status();
  }
  chat::v1::Join join;
  bool named = false;
  for (auto& [name, value] : *params) {
    if (name == "email") {
      join.set_email(std::move(value));
      named = true;
    } else if (name == "room") {
      join.set_room(std::move(value));
      named = true;
    } else if (name == "name") {
      join.set_name(std::move(value));
    } else if (name == "after_seq") {
      std::uint64_t after_seq = 0;
      if (!absl::SimpleAtoi(value, &after_seq)) {
        return absl::InvalidArgumentError("after_seq in the URL is not a number");
      }
      join.set_after_seq(after_seq);
    }
  }
  if (!named) {
    return std::nullopt;
  }
  return join;
}

}  // namespace wsbridge
