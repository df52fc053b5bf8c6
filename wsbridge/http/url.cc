#include "wsbridge/http/url.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/utf8.h"

namespace wsbridge {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const bool complete = i + 2 < text.size();
      const int high = complete ? HexValue(text[i + 1]) : -1;
      const int low = complete ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError("malformed %-escape in URL");
      }
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') {
      return absl::InvalidArgumentError("NUL byte in URL");
    }
    out.push_back(c);
  }
  return out;
}

absl::string_view TargetPath(absl::string_view target) {
  return target.substr(0, target.find('?'));
}

absl::string_view TargetQuery(absl::string_view target) {
  const std::size_t mark = target.find('?');
  return mark == absl::string_view::npos ? absl::string_view() : target.substr(mark + 1);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseQuery(
    absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::size_t equals = part.find('=');
    auto name = PercentDecode(part.substr(0, equals), /*plus_is_space=*/true);
    if (!name.ok()) {
      return name.status();
    }
    std::string value;
    if (equals != absl::string_view::npos) {
      auto decoded = PercentDecode(part.substr(equals + 1), /*plus_is_space=*/true);
      if (!decoded.ok()) {
        return decoded.status();
      }
      value = *std::move(decoded);
    }
    if (!chat::IsValidUtf8(*name) || !chat::IsValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter '", chat::SanitizeUtf8(*name, 64), "' is not UTF-8"));
    }
    params.emplace_back(*std::move(name), std::move(value));
  }
  return params;
}

}  // namespace wsbridge
