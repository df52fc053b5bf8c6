#pragma once

// One HTTP request to the bridge for tests, with the target sent exactly as given
// (so "/../x" reaches the server unnormalized), bounded by a deadline.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wsbridge::testing {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

absl::StatusOr<HttpResult> HttpRequest(
    int port, boost::beast::http::verb method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    absl::Duration timeout = absl::Seconds(10));

inline absl::StatusOr<HttpResult> HttpGet(int port, const std::string& target) {
  return HttpRequest(port, boost::beast::http::verb::get, target);
}

}  // namespace wsbridge::testing
