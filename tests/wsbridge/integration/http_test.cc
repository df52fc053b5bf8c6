// Plain HTTP on the bridge's port: static files, /healthz and the Origin check on /chat.

#include <string>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/support/bridge_fixture.h"
#include "tests/support/http_test_client.h"

namespace wsbridge::testing {
namespace {

namespace http = boost::beast::http;

using HttpTest = BridgeFixture;

TEST_F(HttpTest, ServesFilesWithTheirContentTypes) {
  struct Case {
    const char* target;
    const char* type;
    const char* body_start;
  };
  for (const Case& c : {Case{"/", "text/html; charset=utf-8", "<!doctype html>"},
                        Case{"/index.html", "text/html; charset=utf-8", "<!doctype html>"},
                        Case{"/app.js", "text/javascript; charset=utf-8", "console.log"},
                        Case{"/style.css", "text/css; charset=utf-8", "body"},
                        Case{"/logo.png", "image/png", "\x89PNG"},
                        Case{"/icon.svg", "image/svg+xml", "<svg"},
                        Case{"/sub/page.html", "text/html; charset=utf-8", "<p>sub"},
                        Case{"/app.js?v=3", "text/javascript; charset=utf-8", "console.log"}}) {
    SCOPED_TRACE(c.target);
    auto response = HttpGet(bridge_port(), c.target);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->headers["content-type"], c.type);
    EXPECT_EQ(response->headers["x-content-type-options"], "nosniff");
    EXPECT_TRUE(absl::StartsWith(response->body, c.body_start)) << response->body;
  }
}

TEST_F(HttpTest, HeadHasNoBody) {
  auto response = HttpRequest(bridge_port(), http::verb::head, "/app.js");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-length"], "18");
  EXPECT_EQ(response->body, "");
}

TEST_F(HttpTest, MissingFilesAre404) {
  for (const char* target : {"/nope.html", "/sub/", "/sub", "/sub/nope"}) {
    SCOPED_TRACE(target);
    auto response = HttpGet(bridge_port(), target);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 404);
  }
}

TEST_F(HttpTest, NothingOutsideTheWebRootIsServed) {
  for (const char* target :
       {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
        "/.%2e/secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt", "/link.txt", "/.hidden",
        "//secret.txt", "/./index.html", "/%00/index.html"}) {
    SCOPED_TRACE(target);
    auto response = HttpGet(bridge_port(), target);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_TRUE(response->status == 404 || response->status == 400) << response->status;
    EXPECT_FALSE(absl::StrContains(response->body, "top secret"));
  }
}

TEST_F(HttpTest, MalformedEscapeIs400) {
  auto response = HttpGet(bridge_port(), "/%zz");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 400);
}

TEST_F(HttpTest, OnlyGetAndHead) {
  auto response = HttpRequest(bridge_port(), http::verb::post, "/index.html");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers["allow"], "GET, HEAD");
}

TEST_F(HttpTest, PlainGetOfChatAsksForAnUpgrade) {
  auto response = HttpGet(bridge_port(), "/chat");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 426);
}

TEST_F(HttpTest, HealthzSaysBothAreUpThenThatRoomdIsDown) {
  auto up = HttpGet(bridge_port(), "/healthz");
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->status, 200);
  EXPECT_EQ(up->headers["content-type"], "application/json");
  const auto body = boost::json::parse(up->body).as_object();
  EXPECT_EQ(Str(body, {"bridge"}), "up");
  EXPECT_EQ(Str(body, {"roomd"}), "up");
  EXPECT_EQ(Str(body, {"roomd_detail"}), "SERVING");

  StopRoomd();
  auto down = HttpGet(bridge_port(), "/healthz");
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->status, 503);
  const auto down_body = boost::json::parse(down->body).as_object();
  EXPECT_EQ(Str(down_body, {"bridge"}), "up");
  EXPECT_EQ(Str(down_body, {"roomd"}), "down");
}

class OriginTest : public BridgeFixture {
 protected:
  OriginTest() { bridge_options_.allowed_origins = {"https://chat.example.com"}; }

  absl::Status Upgrade(const std::string& origin) {
    WsTestClient::Options options;
    options.origin = origin;
    return WsTestClient::Connect(bridge_port(), options).status();
  }
};

TEST_F(OriginTest, ForeignOriginIsRefusedWith403) {
  auto response = HttpRequest(bridge_port(), http::verb::get, "/chat",
                              {{"Upgrade", "websocket"},
                               {"Connection", "Upgrade"},
                               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                               {"Sec-WebSocket-Version", "13"},
                               {"Origin", "http://evil.example"}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 403);
  EXPECT_FALSE(Upgrade("http://evil.example").ok());
  EXPECT_FALSE(Upgrade("null").ok());
  EXPECT_FALSE(Upgrade("http://127.0.0.1:1").ok());
}

TEST_F(OriginTest, OwnAndListedOriginsAndNonBrowsersAreAllowed) {
  EXPECT_TRUE(Upgrade("http://127.0.0.1:" + std::to_string(bridge_port())).ok());
  EXPECT_TRUE(Upgrade("https://chat.example.com").ok());
  EXPECT_TRUE(Upgrade("").ok());  // no Origin: not a browser
}

}  // namespace
}  // namespace wsbridge::testing
