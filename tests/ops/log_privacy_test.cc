// A full chat session through the real binaries, and every log line both daemons wrote:
// none holds a message's text or an email, in either format; the connection start and end
// lines are there with their fields. In --auth=jwt, no token either, nor any of its three
// parts, whether it was accepted, refreshed or refused.

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/ops/ops_fixture.h"
#include "tests/support/token_minter.h"
#include "tests/support/ws_test_client.h"

namespace chat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using wsbridge::testing::WsTestClient;

constexpr char kEmail[] = "carol.private@example.org";
constexpr char kOtherEmail[] = "dave.hidden@example.net";
constexpr char kText[] = "the launch code is swordfish-4711";

class LogPrivacyTest : public OpsFixture, public ::testing::WithParamInterface<const char*> {
 protected:
  // A full session: two browsers join (one by the join query), type, talk, one is refused
  // an oversized message, both leave.
  void FullSession() {
    auto carol = WsTestClient::Connect(
        bridge_.port, {.target = absl::StrCat("/chat?room=secrets&email=", kEmail)});
    ASSERT_TRUE(carol.ok()) << carol.status();
    ASSERT_TRUE((*carol)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    auto dave = WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(dave.ok()) << dave.status();
    ASSERT_TRUE((*dave)->Join("secrets", kOtherEmail).ok());
    ASSERT_TRUE((*dave)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    ASSERT_TRUE((*carol)->SendText(R"({"typing":{"active":true}})").ok());
    ASSERT_TRUE((*carol)->Send(kText).ok());
    ASSERT_TRUE((*dave)
                    ->ReadEvent([](const WsTestClient::Event& event) {
                      return event.contains("message");
                    })
                    .ok());
    ASSERT_TRUE((*dave)->Send(absl::StrCat(kText, std::string(5000, 'x'))).ok());  // too long
    ASSERT_TRUE((*dave)
                    ->ReadEvent([](const WsTestClient::Event& event) {
                      return event.contains("error");
                    })
                    .ok());
    ASSERT_TRUE((*carol)->Close(boost::beast::websocket::close_code::normal).ok());
    ASSERT_TRUE((*dave)->Close(boost::beast::websocket::close_code::normal).ok());
  }
};

TEST_P(LogPrivacyTest, NoMessageTextOrEmailInAnyLogLine) {
  ASSERT_NO_FATAL_FAILURE(StartDaemons({absl::StrCat("--log_format=", GetParam())}));
  ASSERT_NO_FATAL_FAILURE(FullSession());
  // Everything both processes wrote in their lives, up to their "stopped".
  bridge_.process->Kill(SIGTERM);
  roomd_.process->Kill(SIGTERM);
  const std::string logs = roomd_.process->Output() + bridge_.process->Output();
  ASSERT_THAT(logs, HasSubstr("disconnect"));  // the session was logged at all
  for (const char* secret : {kEmail, kOtherEmail, kText, "swordfish", "carol.private",
                             "dave.hidden"}) {
    EXPECT_THAT(logs, Not(HasSubstr(secret))) << "in:\n" << logs;
  }
}

TEST_P(LogPrivacyTest, ConnectionLinesCarryTheirFields) {
  ASSERT_NO_FATAL_FAILURE(StartDaemons({absl::StrCat("--log_format=", GetParam())}));
  ASSERT_NO_FATAL_FAILURE(FullSession());
  const bool json = std::string(GetParam()) == "json";
  // roomd: one disconnect line per session, with room, user id, duration, code and reason.
  const std::string roomd_end = json ? "\"event\":\"disconnect\"" : "roomd: disconnect ";
  std::optional<std::string> line = roomd_.process->WaitForLine(roomd_end);
  ASSERT_TRUE(line.has_value()) << roomd_.process->Output();
  for (const char* field : {"conn", "peer", "room", "user_id", "duration_s", "code", "reason"}) {
    EXPECT_THAT(*line, HasSubstr(json ? absl::StrCat("\"", field, "\":") : absl::StrCat(" ", field, "=")))
        << *line;
  }
  EXPECT_THAT(*line, HasSubstr("secrets"));
  const std::string bridge_end = json ? "\"event\":\"disconnect\"" : "wsbridge: disconnect ";
  line = bridge_.process->WaitForLine(bridge_end);
  ASSERT_TRUE(line.has_value()) << bridge_.process->Output();
  for (const char* field : {"conn", "peer", "room", "user_id", "duration_s", "code", "reason"}) {
    EXPECT_THAT(*line, HasSubstr(json ? absl::StrCat("\"", field, "\":") : absl::StrCat(" ", field, "=")))
        << *line;
  }
  EXPECT_THAT(*line, HasSubstr("1000"));
  EXPECT_THAT(*line, HasSubstr("secrets"));  // the room, learned from the Welcome
  if (json) {
    // Every line is one JSON object.
    for (const std::string& output : {roomd_.process->Output(), bridge_.process->Output()}) {
      for (absl::string_view text : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
        EXPECT_TRUE(absl::StartsWith(text, "{\"time\":") && absl::EndsWith(text, "}")) << text;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, LogPrivacyTest, ::testing::Values("text", "json"));

constexpr char kRelaySecret[] = "ops-relay-secret-0123456789-0123456789-0123";

class JwtLogPrivacyTest : public LogPrivacyTest {
 protected:
  // Both daemons in --auth=jwt, the bridge sending the relay secret.
  void StartJwtDaemons() {
    const std::string secret = (scratch_ / "jwt-secret").string();
    const std::string relay = (scratch_ / "relay-secret").string();
    std::ofstream(secret, std::ios::binary) << roomd::testing::kTestSecret;
    std::ofstream(relay, std::ios::binary) << kRelaySecret;
    StartDaemons({absl::StrCat("--log_format=", GetParam()), absl::StrCat("--relay_secret_file=", relay)},
                 {"--auth=jwt", absl::StrCat("--jwt_secret_file=", secret)});
  }

  std::string Token(const std::string& sub, const std::string& name, const std::string& email) {
    roomd::testing::TokenSpec spec;
    spec.key = roomd::testing::kTestSecret;
    spec.sub = sub;
    spec.name = name;
    spec.email = email;
    std::string token = roomd::testing::MintToken(spec);
    tokens_.push_back(token);
    return token;
  }

  static std::string JoinFrame(const std::string& room, const std::string& token) {
    return absl::StrCat(R"({"join":{"room":")", room, R"(","token":")", token, R"("}})");
  }

  // Carol and Dave join with tokens and talk, Carol refreshes hers, Eve's forged token and
  // Mallory's garbage are refused.
  void JwtSession() {
    auto carol = WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(carol.ok()) << carol.status();
    ASSERT_TRUE((*carol)->SendText(JoinFrame("secrets", Token("carol-sub-31337", "Carol", kEmail))).ok());
    ASSERT_TRUE((*carol)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    auto dave = WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(dave.ok()) << dave.status();
    ASSERT_TRUE((*dave)->SendText(JoinFrame("secrets", Token("dave-sub-4242", "Dave", kOtherEmail))).ok());
    ASSERT_TRUE((*dave)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    ASSERT_TRUE((*carol)
                    ->SendText(absl::StrCat(R"({"refresh":{"token":")",
                                            Token("carol-sub-31337", "Carol", kEmail), R"("}})"))
                    .ok());
    ASSERT_TRUE((*carol)->Send(kText).ok());
    ASSERT_TRUE((*dave)
                    ->ReadEvent([](const WsTestClient::Event& event) {
                      return event.contains("message");
                    })
                    .ok());
    const std::string forged = roomd::testing::TamperSignature(Token("eve-sub-666", "Eve", ""));
    tokens_.push_back(forged);
    auto eve = WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(eve.ok()) << eve.status();
    ASSERT_TRUE((*eve)->SendText(JoinFrame("secrets", forged)).ok());
    auto eve_closed = (*eve)->ReadClose();
    ASSERT_TRUE(eve_closed.ok()) << eve_closed.status();
    EXPECT_EQ(eve_closed->code, 4016);
    const std::string garbage = "mallory-garbage-one.mallory-garbage-two.mallory-garbage-six";
    tokens_.push_back(garbage);
    auto mallory = WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(mallory.ok()) << mallory.status();
    ASSERT_TRUE((*mallory)->SendText(JoinFrame("secrets", garbage)).ok());
    auto mallory_closed = (*mallory)->ReadClose();
    ASSERT_TRUE(mallory_closed.ok()) << mallory_closed.status();
    EXPECT_EQ(mallory_closed->code, 4016);
    ASSERT_TRUE((*carol)->Close(boost::beast::websocket::close_code::normal).ok());
    ASSERT_TRUE((*dave)->Close(boost::beast::websocket::close_code::normal).ok());
  }

  std::vector<std::string> tokens_;
};

TEST_P(JwtLogPrivacyTest, NoTokenNorAnyOfItsPartsInAnyLogLine) {
  ASSERT_NO_FATAL_FAILURE(StartJwtDaemons());
  ASSERT_NO_FATAL_FAILURE(JwtSession());
  bridge_.process->Kill(SIGTERM);
  roomd_.process->Kill(SIGTERM);
  const std::string logs = roomd_.process->Output() + bridge_.process->Output();
  ASSERT_THAT(logs, HasSubstr("disconnect"));
  ASSERT_THAT(logs, HasSubstr("4016"));  // the refusals were logged, without their tokens
  std::vector<std::string> secrets = {kEmail, kOtherEmail, kText, "swordfish",
                                      "carol.private", "dave.hidden", "carol-sub", "dave-sub", "eve-sub"};
  ASSERT_EQ(tokens_.size(), 6u);
  for (const std::string& token : tokens_) {
    secrets.push_back(token);
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      // Every part: the header, the claims and the signature (and a prefix of each, in
      // case a line cuts a token short).
      ASSERT_GE(part.size(), 12u) << token;
      secrets.emplace_back(part.substr(0, 12));
    }
  }
  for (const std::string& secret : secrets) {
    EXPECT_THAT(logs, Not(HasSubstr(secret))) << "in:\n" << logs;
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, JwtLogPrivacyTest, ::testing::Values("text", "json"));

}  // namespace
}  // namespace chat::testing
