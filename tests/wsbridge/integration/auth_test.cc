// Browsers in --auth=jwt: the token travels in the WebSocket Join (never in a URL), roomd
// verifies it on each relay session, the bridge proves itself with the relay secret, and
// refusals close with 4016 (UNAUTHENTICATED) or 4007 (PERMISSION_DENIED).

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"
#include "tests/support/http_test_client.h"
#include "tests/support/token_minter.h"

namespace wsbridge::testing {
namespace {

using ::roomd::testing::kTestSecret;
using ::roomd::testing::MintToken;
using ::roomd::testing::TokenSpec;

constexpr char kRelaySecret[] = "relay-secret-0123456789-0123456789-0123456789";

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/bridge_auth_test_", getpid(), "_", name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string Token(const std::function<void(TokenSpec&)>& change = {}) {
  TokenSpec spec;
  spec.key = kTestSecret;
  if (change) {
    change(spec);
  }
  return MintToken(spec);
}

std::string JoinFrame(const std::string& room, const std::string& token) {
  return absl::StrCat(R"({"join":{"room":")", room, R"(","token":")", token, R"("}})");
}

class BridgeAuthTest : public BridgeFixture {
 protected:
  BridgeAuthTest() {
    roomd_options_.auth = "jwt";
    roomd_options_.jwt_secret_file = WriteFile("secret", kTestSecret);
    roomd_options_.relay_secret_file = WriteFile("relay", kRelaySecret);
    roomd_options_.jwt_leeway = absl::ZeroDuration();
    bridge_options_.relay_secret = kRelaySecret;
  }

  // A browser that sent `join` with `token`.
  std::unique_ptr<WsTestClient> JoinWith(const std::string& room, const std::string& token) {
    std::unique_ptr<WsTestClient> client = Connect();
    if (client != nullptr) {
      EXPECT_TRUE(client->SendText(JoinFrame(room, token)).ok());
    }
    return client;
  }

  // The browser is closed with `code` and a reason holding `reason`.
  static void ExpectClosed(WsTestClient& client, int code, const std::string& reason,
                           absl::Duration timeout = kWait) {
    auto closed = client.ReadClose(timeout);
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->code, code) << ReasonOf(*closed);
    EXPECT_TRUE(absl::StrContains(ReasonOf(*closed), reason)) << ReasonOf(*closed);
  }
};

TEST_F(BridgeAuthTest, ATokenInTheJoinIsVerifiedAndRefusalsClose4016Or4007) {
  auto watcher = JoinWith("lobby", Token([](TokenSpec& s) {
                            s.sub = "watcher";
                            s.name = "Watcher";
                            s.bot = true;
                          }));
  ASSERT_NE(watcher, nullptr);
  auto welcome = watcher->ReadEvent(IsWelcome());
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_TRUE(welcome->at("welcome").at("self").at("bot").as_bool());

  auto forged = JoinWith("lobby", roomd::testing::TamperSignature(Token()));
  ASSERT_NE(forged, nullptr);
  ExpectClosed(*forged, 4016, "bad signature");
  auto claimed = Connect();
  ASSERT_NE(claimed, nullptr);
  ASSERT_TRUE(claimed->Join("lobby", "alice@example.com").ok());  // an email proves nothing
  ExpectClosed(*claimed, 4016, "missing token");
  auto outsider = JoinWith("lobby", Token([](TokenSpec& s) {
                             s.has_rooms = true;
                             s.rooms = {"elsewhere"};
                           }));
  ASSERT_NE(outsider, nullptr);
  ExpectClosed(*outsider, 4007, "room \"lobby\"");

  ASSERT_TRUE(watcher->Send("heard").ok());
  EXPECT_TRUE(watcher->ReadEvent(IsMessage("heard")).ok());
}

// An oversized token in each place a browser could put it: only that browser is refused,
// each way with a clear error, and the room goes on (docs/security.md, "Token size").
TEST_F(BridgeAuthTest, OversizedTokensRefuseOnlyTheirBrowser) {
  auto watcher = JoinWith("lobby", Token([](TokenSpec& s) { s.sub = "watcher"; }));
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->ReadEvent(IsWelcome()).ok());

  // 1 MB in the join: over 16 x --max_frame_bytes, too large even to read: close 1009.
  auto huge = JoinWith("lobby", std::string(1 << 20, 'a'));
  ASSERT_NE(huge, nullptr);
  auto closed = huge->ReadClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->code, 1009) << ReasonOf(*closed);

  // Over --max_frame_bytes: an Error, the frame (and so the join) dropped.
  auto big = JoinWith("lobby", std::string(100 << 10, 'a'));
  ASSERT_NE(big, nullptr);
  auto error = big->ReadEvent(IsError("INVALID_ARGUMENT"));
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_TRUE(absl::StrContains(boost::json::serialize(*error), "over the limit"))
      << boost::json::serialize(*error);

  // Within the frame limit, over roomd's 8 KiB for a token: roomd refuses it, 4016.
  auto large = JoinWith("lobby", std::string(20 << 10, 'a'));
  ASSERT_NE(large, nullptr);
  ExpectClosed(*large, 4016, "token too large");

  // A token in the URL is never read; a 1 MB URL is over the request's header limit.
  auto in_url = HttpGet(bridge_port(), absl::StrCat("/chat?room=lobby&token=",
                                                    std::string(1 << 20, 'a')));
  if (in_url.ok()) {  // else the bridge closed before the whole request was written
    EXPECT_EQ(in_url->status, 431) << in_url->body;
  }
  auto long_url = HttpGet(bridge_port(), absl::StrCat("/chat?room=lobby&token=",
                                                      std::string(16 << 10, 'a')));
  ASSERT_TRUE(long_url.ok()) << long_url.status();
  EXPECT_EQ(long_url->status, 431) << long_url->body;

  ASSERT_TRUE(watcher->Send("still here").ok());
  EXPECT_TRUE(watcher->ReadEvent(IsMessage("still here")).ok());
}

TEST_F(BridgeAuthTest, AnExpiredTokenCloses4016UnlessRefreshed) {
  // Far enough ahead for the refresh to land first on a busy machine.
  const absl::Time exp = absl::Now() + absl::Seconds(5);
  auto plain = JoinWith("lobby", Token([&](TokenSpec& s) {
                          s.sub = "plain";
                          s.exp = exp;
                        }));
  ASSERT_NE(plain, nullptr);
  ASSERT_TRUE(plain->ReadEvent(IsWelcome()).ok());
  auto refreshed = JoinWith("lobby", Token([&](TokenSpec& s) { s.exp = exp; }));
  ASSERT_NE(refreshed, nullptr);
  ASSERT_TRUE(refreshed->ReadEvent(IsWelcome()).ok());
  ASSERT_TRUE(
      refreshed->SendText(absl::StrCat(R"({"refresh":{"token":")", Token(), R"("}})")).ok());
  ASSERT_TRUE(refreshed->Send("refreshed").ok());
  ASSERT_TRUE(refreshed->ReadEvent(IsMessage("refreshed")).ok());

  ExpectClosed(*plain, 4016, "token expired", absl::Seconds(20));
  ASSERT_TRUE(refreshed->Send("after").ok());
  EXPECT_TRUE(refreshed->ReadEvent(IsMessage("after")).ok());
}

class BridgeTokenEndpointTest : public BridgeAuthTest {
 protected:
  BridgeTokenEndpointTest() { bridge_options_.token_endpoint = "https://id.example/token?a=\"b\""; }
};

TEST_F(BridgeTokenEndpointTest, ConfigJsonPublishesTheTokenEndpoint) {
  auto config = HttpGet(bridge_port(), "/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->status, 200);
  EXPECT_EQ(boost::json::parse(config->body).at("tokenEndpoint").as_string(),
            "https://id.example/token?a=\"b\"");
}

TEST_F(BridgeAuthTest, ConfigJsonIsEmptyWithoutAnEndpoint) {
  auto config = HttpGet(bridge_port(), "/config.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->status, 200);
  EXPECT_TRUE(boost::json::parse(config->body).as_object().empty());
}

class BridgeWithoutRelaySecretTest : public BridgeAuthTest {
 protected:
  BridgeWithoutRelaySecretTest() { bridge_options_.relay_secret.clear(); }
};

TEST_F(BridgeWithoutRelaySecretTest, RoomdRefusesTheRelay) {
  auto browser = JoinWith("lobby", Token());
  ASSERT_NE(browser, nullptr);
  ExpectClosed(*browser, 4016, "chat-relay-secret");
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The bridge reaches roomd over mutual TLS: its client certificate admits its Relay calls,
// no relay secret needed; each browser still proves itself with its token.
class BridgeOverMutualTlsTest : public BridgeAuthTest {
 protected:
  BridgeOverMutualTlsTest() {
    const std::string dir = absl::StrCat(::testing::TempDir(), "/bridge_tls_", getpid());
    const std::string command = absl::StrCat(MAKE_TEST_CERTS, " ", dir);
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    roomd_options_.relay_secret_file.clear();
    roomd_options_.tls_cert_file = dir + "/server.pem";
    roomd_options_.tls_key_file = dir + "/server.key";
    roomd_options_.tls_client_ca_file = dir + "/ca.pem";
    bridge_options_.relay_secret.clear();
    bridge_options_.roomd_ca_pem = ReadText(dir + "/ca.pem");
    bridge_options_.roomd_cert_pem = ReadText(dir + "/client.pem");
    bridge_options_.roomd_key_pem = ReadText(dir + "/client.key");
  }
};

TEST_F(BridgeOverMutualTlsTest, BrowsersJoinThroughTheCertifiedBridge) {
  auto browser = JoinWith("lobby", Token());
  ASSERT_NE(browser, nullptr);
  ASSERT_TRUE(browser->ReadEvent(IsWelcome()).ok());
  ASSERT_TRUE(browser->Send("over mtls").ok());
  EXPECT_TRUE(browser->ReadEvent(IsMessage("over mtls")).ok());
}

}  // namespace
}  // namespace wsbridge::testing
