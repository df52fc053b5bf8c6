#pragma once

// Decides which pages may open /chat, against cross-site WebSocket hijacking.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace wsbridge {

class OriginPolicy {
 public:
  // `allowed`: extra origins such as "https://chat.example.com", or "*" for any.
  explicit OriginPolicy(std::vector<std::string> allowed);

  // A request without Origin (not a browser) is allowed; so is a page served by the
  // bridge itself (the Origin's host:port equals `host`, the request's Host header);
  // otherwise the Origin must be listed.
  bool Allows(absl::string_view origin, absl::string_view host) const;

 private:
  bool allow_any_ = false;
  std::vector<std::string> allowed_;  // lower case, no trailing '/'
};

}  // namespace wsbridge
