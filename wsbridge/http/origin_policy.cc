#include "wsbridge/http/origin_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace wsbridge {
namespace {

struct Authority {
  std::string host;
  std::string port;
};

// Splits "host[:port]" ("[::1]:80" too); an absent port becomes `default_port`.
Authority SplitAuthority(absl::string_view authority, absl::string_view default_port) {
  Authority out;
  std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.rfind(']');
  if (colon != absl::string_view::npos && bracket != absl::string_view::npos && colon < bracket) {
    colon = absl::string_view::npos;  // the colon is inside an IPv6 literal
  }
  if (colon == absl::string_view::npos) {
    out.host = absl::AsciiStrToLower(authority);
    out.port = std::string(default_port);
  } else {
    out.host = absl::AsciiStrToLower(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  }
  return out;
}

std::string Normalize(absl::string_view origin) {
  return absl::AsciiStrToLower(absl::StripSuffix(absl::StripAsciiWhitespace(origin), "/"));
}

}  // namespace

OriginPolicy::OriginPolicy(std::vector<std::string> allowed) {
  for (const std::string& origin : allowed) {
    if (origin == "*") {
      allow_any_ = true;
    } else if (!origin.empty()) {
      allowed_.push_back(Normalize(origin));
    }
  }
}

bool OriginPolicy::Allows(absl::string_view origin, absl::string_view host) const {
  if (origin.empty() || allow_any_) {
    return true;
  }
  const std::string normalized = Normalize(origin);
  for (const std::string& allowed : allowed_) {
    if (allowed == normalized) {
      return true;
    }
  }
  absl::string_view rest = normalized;
  absl::string_view default_port;
  if (absl::ConsumePrefix(&rest, "http://")) {
    default_port = "80";
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    default_port = "443";
  } else {
    return false;  // "null", file: pages and other schemes
  }
  if (rest.empty() || absl::StrContains(rest, '/') || host.empty()) {
    return false;
  }
  // A Host without a port means the default port of the page's scheme (e.g. behind TLS).
  const Authority from_origin = SplitAuthority(rest, default_port);
  const Authority from_host = SplitAuthority(absl::StripAsciiWhitespace(host), default_port);
  return from_origin.host == from_host.host && from_origin.port == from_host.port;
}

}  // namespace wsbridge
