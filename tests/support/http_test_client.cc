#include "tests/support/http_test_client.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace wsbridge::testing {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

absl::StatusOr<HttpResult> HttpRequest(
    int port, http::verb method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, absl::Duration timeout) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(absl::ToChronoMilliseconds(timeout));  // bounds every step below
  http::request<http::empty_body> request{method, target, 11};
  request.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  for (const auto& [name, value] : headers) {
    request.set(name, value);
  }
  request.keep_alive(false);
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  if (method == http::verb::head) {
    parser.skip(true);
  }
  beast::flat_buffer buffer;
  bool failed = false;
  std::string failure;
  const auto fail = [&](beast::error_code e, const char* what) {
    failed = true;
    failure = absl::StrCat(what, ": ", e.message());
  };
  stream.async_connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
      [&](beast::error_code e) {
        if (e) {
          fail(e, "connect");
          return;
        }
        http::async_write(stream, request, [&](beast::error_code e2, std::size_t) {
          if (e2) {
            fail(e2, "write");
            return;
          }
          http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) {
            if (e3) {
              fail(e3, "read");
            }
          });
        });
      });
  ioc.run();  // ends when the exchange is over or the stream's deadline cancels it
  if (failed) {
    return absl::UnavailableError(failure);
  }
  HttpResult result;
  const auto& response = parser.get();
  result.status = response.result_int();
  for (const auto& field : response) {
    result.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  result.body = response.body();
  return result;
}

}  // namespace wsbridge::testing
