// --auth=jwt over real gRPC: tokens in metadata and in Join, every attack refused with a
// reason while a watcher in the room keeps receiving every message in order, rooms limited
// on every RPC, expiry and refresh, the relay secret, key reload.

#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/roomd_fixture.h"
#include "tests/support/token_minter.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

constexpr char kRelaySecret[] = "relay-secret-0123456789-0123456789-0123456789";

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/auth_test_", getpid(), "_", name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

ChatTestClient::Metadata Bearer(const std::string& token) {
  return {{"authorization", absl::StrCat("Bearer ", token)}};
}

class AuthTest : public RoomdTest {
 protected:
  ServerOptions JwtOptions() {
    ServerOptions options = TestOptions();
    options.auth = "jwt";
    options.jwt_secret_file = WriteFile("secret", absl::StrCat(kTestSecret, "\n"));
    options.relay_secret_file = WriteFile("relay", kRelaySecret);
    options.jwt_issuer = "https://id.example";
    options.jwt_audience = "chat";
    options.jwt_leeway = absl::ZeroDuration();
    return options;
  }

  void SetUp() override { StartServer(JwtOptions()); }

  // A good token, changed by `change`.
  static std::string Token(const std::function<void(TokenSpec&)>& change = {}) {
    TokenSpec spec;
    spec.key = kTestSecret;
    spec.iss = "https://id.example";
    spec.aud = "chat";
    if (change) {
      change(spec);
    }
    return MintToken(spec);
  }

  // A Chat stream that presents `token` in its metadata and joins `room`.
  std::unique_ptr<ChatTestClient> JoinWithMetadata(const std::string& room,
                                                   const std::string& token) {
    auto client = std::make_unique<ChatTestClient>(NewChannel(), true, Bearer(token));
    EXPECT_TRUE(client->Join(room, ""));
    return client;
  }

  // A Chat stream whose Join carries `token`.
  std::unique_ptr<ChatTestClient> JoinWithToken(const std::string& room,
                                                const std::string& token) {
    auto client = Connect();
    chat::v1::ClientEvent event;
    event.mutable_join()->set_room(room);
    event.mutable_join()->set_token(token);
    EXPECT_TRUE(client->Write(event));
    return client;
  }

  grpc::Status PostWith(const std::string& token, const std::string& room,
                        const std::string& text) {
    chat::v1::PostRequest request;
    request.set_room(room);
    request.set_text(text);
    chat::v1::PostResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->Post(WithMetadata(&context, Bearer(token)), request, &response);
  }
};

// The stream ends with `code` and a message holding `reason`.
void ExpectEnds(ChatTestClient& client, grpc::StatusCode code, const std::string& reason) {
  const grpc::Status status = client.WaitForFinish();
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_NE(status.error_message().find(reason), std::string::npos) << status.error_message();
}

TEST_F(AuthTest, ATokenInMetadataOrInJoinProvesWhoJoins) {
  auto alice = JoinWithMetadata("lobby", Token());
  std::optional<ServerEvent> welcome = alice->WaitForWelcome();
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->welcome().self().name(), "Alice");
  EXPECT_EQ(welcome->welcome().self().id().size(), 32u);
  EXPECT_FALSE(welcome->welcome().self().bot());

  auto bot = JoinWithToken("lobby", Token([](TokenSpec& s) {
                             s.sub = "bot-7";
                             s.name = "";
                             s.email = "helper@bots.example";
                             s.bot = true;
                           }));
  welcome = bot->WaitForWelcome();
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->welcome().self().name(), "helper");
  EXPECT_TRUE(welcome->welcome().self().bot());
  std::optional<ServerEvent> joined = alice->WaitFor(IsJoined("helper"));
  ASSERT_TRUE(joined.has_value());
  EXPECT_TRUE(joined->presence().joined().bot());

  // Post with the token: the message is from Alice, whatever email the request claims.
  chat::v1::PostRequest request;
  request.set_room("lobby");
  request.set_email("mallory@example.com");
  request.set_text("posted");
  chat::v1::PostResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Post(WithMetadata(&context, Bearer(Token())), request, &response).ok());
  EXPECT_EQ(response.message().from().name(), "Alice");
  ASSERT_TRUE(bot->WaitFor(IsMessage("posted")));
}

TEST_F(AuthTest, EveryAttackIsRefusedWhileTheWatcherGetsEveryMessageInOrder) {
  auto watcher = JoinWithMetadata("lobby", Token([](TokenSpec& s) { s.sub = "watcher"; }));
  ASSERT_TRUE(watcher->WaitForWelcome());
  auto poster = JoinWithMetadata("lobby", Token());
  ASSERT_TRUE(poster->WaitForWelcome());

  const std::string good = Token();
  const std::string large = std::string(16 << 10, 'a');
  struct Attack {
    std::string name;
    std::string token;
    std::string reason;
  };
  const std::vector<Attack> attacks = {
      {"none", Token([](TokenSpec& s) { s.alg = "none"; }), "algorithm none not accepted"},
      {"bad signature", TamperSignature(good), "bad signature"},
      {"other secret", Token([](TokenSpec& s) { s.key = std::string(kTestSecret) + "x"; }),
       "bad signature"},
      {"expired", Token([](TokenSpec& s) { s.exp = absl::Now() - absl::Seconds(5); }),
       "token expired"},
      {"not yet valid", Token([](TokenSpec& s) {
         s.has_nbf = true;
         s.nbf = absl::Now() + absl::Hours(1);
       }),
       "token not yet valid"},
      {"iss", Token([](TokenSpec& s) { s.iss = "https://evil.example"; }), "wrong issuer"},
      {"aud", Token([](TokenSpec& s) { s.aud = "other"; }), "wrong audience"},
      {"no sub", Token([](TokenSpec& s) { s.sub = ""; }), "token has no sub"},
      {"garbage", "garbage", "malformed token"},
      {"large", large, "token too large"},
      {"missing", "", "missing token"},
  };
  int sent = 0;
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    auto in_join = JoinWithToken("lobby", attack.token);
    ExpectEnds(*in_join, grpc::StatusCode::UNAUTHENTICATED, attack.reason);
    if (attack.token.size() < (8 << 10)) {  // gRPC's metadata limit refuses larger ones itself
      auto in_metadata = JoinWithMetadata("lobby", attack.token);
      ExpectEnds(*in_metadata, grpc::StatusCode::UNAUTHENTICATED, attack.reason);
      const grpc::Status post = PostWith(attack.token, "lobby", "forged");
      EXPECT_EQ(post.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_NE(post.error_message().find(attack.reason), std::string::npos)
          << post.error_message();
    }
    ASSERT_TRUE(poster->Send(absl::StrCat("m", sent++)));
  }

  uint64_t last_seq = 0;
  for (int i = 0; i < sent; ++i) {
    std::optional<ServerEvent> message = watcher->WaitFor(
        [](const ServerEvent& event) { return event.has_message(); });
    ASSERT_TRUE(message.has_value()) << "message " << i;
    EXPECT_EQ(message->message().text(), absl::StrCat("m", i));
    if (last_seq != 0) {
      EXPECT_EQ(message->message().seq(), last_seq + 1);
    }
    last_seq = message->message().seq();
  }
}

// A 1 MB token never reaches roomd's verifier: gRPC refuses it first, with a code the
// client can read, and only that call ends (docs/security.md, "Token size").
TEST_F(AuthTest, AOneMegabyteTokenIsRefusedByGrpcAndTheRoomGoesOn) {
  auto watcher = JoinWithMetadata("lobby", Token([](TokenSpec& s) { s.sub = "watcher"; }));
  ASSERT_TRUE(watcher->WaitForWelcome());
  auto poster = JoinWithMetadata("lobby", Token([](TokenSpec& s) { s.sub = "poster"; }));
  ASSERT_TRUE(poster->WaitForWelcome());
  const std::string huge(1 << 20, 'a');

  // In Join.token: the ClientEvent is over roomd's receive limit.
  auto in_join = JoinWithToken("lobby", huge);
  const grpc::Status join_status = in_join->WaitForFinish();
  EXPECT_EQ(join_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << join_status.error_message();
  ASSERT_TRUE(poster->Send("m0"));

  // In metadata, on the Chat stream and on a unary call: over HTTP/2's header limit.
  auto in_metadata = std::make_unique<ChatTestClient>(NewChannel(), true, Bearer(huge));
  static_cast<void>(in_metadata->Join("lobby", ""));  // the call may already be over
  const grpc::Status metadata_status = in_metadata->WaitForFinish();
  EXPECT_EQ(metadata_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << metadata_status.error_message();
  const grpc::Status post = PostWith(huge, "lobby", "forged");
  EXPECT_EQ(post.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << post.error_message();
  ASSERT_TRUE(poster->Send("m1"));

  for (const char* text : {"m0", "m1"}) {
    std::optional<ServerEvent> message = watcher->WaitFor(
        [](const ServerEvent& event) { return event.has_message(); });
    ASSERT_TRUE(message.has_value()) << text;
    EXPECT_EQ(message->message().text(), text);
  }
}

TEST_F(AuthTest, RoomsOutsideTheTokenAreDeniedOnEveryRpc) {
  const std::string token = Token([](TokenSpec& s) {
    s.has_rooms = true;
    s.rooms = {"lobby", "team-*"};
  });
  auto watcher = JoinWithMetadata("secret", Token([](TokenSpec& s) { s.sub = "boss"; }));
  ASSERT_TRUE(watcher->WaitForWelcome());
  auto allowed = JoinWithMetadata("team-a", token);
  ASSERT_TRUE(allowed->WaitForWelcome());

  auto chat = JoinWithMetadata("secret", token);
  ExpectEnds(*chat, grpc::StatusCode::PERMISSION_DENIED, "room \"secret\"");
  auto chat_join_token = JoinWithToken("secret", token);
  ExpectEnds(*chat_join_token, grpc::StatusCode::PERMISSION_DENIED, "room \"secret\"");
  EXPECT_EQ(PostWith(token, "secret", "sneak").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  {
    chat::v1::GetPresenceRequest request;
    request.set_room("secret");
    chat::v1::GetPresenceResponse response;
    grpc::ClientContext context;
    EXPECT_EQ(stub_->GetPresence(WithMetadata(&context, Bearer(token)), request, &response)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    chat::v1::GetHistoryRequest request;
    request.set_room("secret");
    chat::v1::GetHistoryResponse response;
    grpc::ClientContext context;
    EXPECT_EQ(stub_->GetHistory(WithMetadata(&context, Bearer(token)), request, &response)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    chat::v1::ListRoomsRequest request;
    chat::v1::ListRoomsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(
        stub_->ListRooms(WithMetadata(&context, Bearer(token)), request, &response).ok());
    std::vector<std::string> names;
    for (const chat::v1::RoomInfo& room : response.rooms()) {
      names.push_back(room.name());
    }
    EXPECT_EQ(names, std::vector<std::string>{"team-a"});
  }
  {
    chat::v1::ListRoomsRequest request;
    chat::v1::ListRoomsResponse response;
    grpc::ClientContext context;
    EXPECT_EQ(stub_->ListRooms(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The watcher saw nobody else come in, and keeps hearing its room.
  ASSERT_TRUE(watcher->Send("still here"));
  std::optional<ServerEvent> next = watcher->WaitFor(
      [](const ServerEvent& event) { return event.has_message() || event.has_presence(); });
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->message().text(), "still here");
}

TEST_F(AuthTest, AnExpiredTokenEndsItsSessionUnlessRefreshed) {
  // Far enough ahead for the refresh to land first on a busy machine.
  const absl::Time exp = absl::Now() + absl::Seconds(5);
  auto plain = JoinWithMetadata("lobby", Token([&](TokenSpec& s) {
                                  s.sub = "plain";
                                  s.name = "Plain";
                                  s.exp = exp;
                                }));
  ASSERT_TRUE(plain->WaitForWelcome());
  auto refreshed = JoinWithMetadata("lobby", Token([&](TokenSpec& s) { s.exp = exp; }));
  ASSERT_TRUE(refreshed->WaitForWelcome());
  // Refused refreshes leave the session as it was.
  ASSERT_TRUE(refreshed->Refresh("garbage"));
  ASSERT_TRUE(refreshed->WaitFor(IsError("UNAUTHENTICATED")));
  ASSERT_TRUE(refreshed->Refresh(Token([](TokenSpec& s) { s.sub = "someone-else"; })));
  ASSERT_TRUE(refreshed->WaitFor(IsError("PERMISSION_DENIED")));
  ASSERT_TRUE(refreshed->Refresh(Token()));  // an hour more
  ASSERT_TRUE(refreshed->Send("refreshed"));
  ASSERT_TRUE(refreshed->WaitFor(IsMessage("refreshed")));

  // Both tokens reached the same expiry: only the one that was not refreshed ends.
  ExpectEnds(*plain, grpc::StatusCode::UNAUTHENTICATED, "token expired");
  ASSERT_TRUE(refreshed->WaitFor(IsLeft("Plain")));
  ASSERT_TRUE(refreshed->Send("after"));
  ASSERT_TRUE(refreshed->WaitFor(IsMessage("after")));
}

TEST_F(AuthTest, ARefreshThatDropsTheRoomEndsTheSession) {
  auto client = JoinWithMetadata("lobby", Token());
  ASSERT_TRUE(client->WaitForWelcome());
  ASSERT_TRUE(client->Refresh(Token([](TokenSpec& s) {
    s.has_rooms = true;
    s.rooms = {"elsewhere"};
  })));
  ExpectEnds(*client, grpc::StatusCode::PERMISSION_DENIED, "room \"lobby\"");
}

TEST_F(AuthTest, RelayNeedsTheSecretAndEachSessionItsOwnToken) {
  {
    RelayTestClient relay(stub_.get());
    EXPECT_EQ(relay.WaitForFinish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    RelayTestClient relay(stub_.get(), {{"chat-relay-secret", "wrong"}});
    EXPECT_EQ(relay.WaitForFinish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  RelayTestClient relay(stub_.get(), {{"chat-relay-secret", kRelaySecret}});
  // The gateway's word is not enough: a session without a token is refused.
  ASSERT_TRUE(relay.Join(1, "lobby", "alice@example.com"));
  std::optional<chat::v1::RelayDownItem> done = relay.WaitForDone(1);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->code(), grpc::StatusCode::UNAUTHENTICATED);
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room("lobby");
  join.mutable_join()->set_token(Token());
  ASSERT_TRUE(relay.Send(2, join));
  std::optional<ServerEvent> welcome =
      relay.WaitFor(2, [](const ServerEvent& event) { return event.has_welcome(); });
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->welcome().self().name(), "Alice");
}

TEST_F(AuthTest, ReloadedKeysApplyToNewTokensAndLiveSessionsStay) {
  auto alice = JoinWithMetadata("lobby", Token());
  ASSERT_TRUE(alice->WaitForWelcome());
  const std::string new_secret = "a-brand-new-secret-0123456789-0123456789";
  WriteFile("secret", new_secret);
  ASSERT_TRUE(server_->ReloadKeys().ok());
  auto late = JoinWithMetadata("lobby", Token());
  ExpectEnds(*late, grpc::StatusCode::UNAUTHENTICATED, "bad signature");
  auto fresh = JoinWithMetadata("lobby", Token([&](TokenSpec& s) { s.key = new_secret; }));
  ASSERT_TRUE(fresh->WaitForWelcome());
  ASSERT_TRUE(alice->Send("still here"));
  ASSERT_TRUE(fresh->WaitFor(IsMessage("still here")));
  // A key file that went bad keeps the old key.
  WriteFile("secret", "short");
  EXPECT_FALSE(server_->ReloadKeys().ok());
  auto again = JoinWithMetadata("lobby", Token([&](TokenSpec& s) { s.key = new_secret; }));
  ASSERT_TRUE(again->WaitForWelcome());
}

TEST(AuthOptionsTest, JwtModeNeedsAProtectedRelayAndAUsableKey) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth = "jwt";
  options.jwt_secret_file = WriteFile("opt-secret", kTestSecret);
  absl::StatusOr<std::unique_ptr<RoomServer>> server = RoomServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("--relay_secret_file"), std::string::npos);
  options.relay_secret_file = WriteFile("opt-relay", kRelaySecret);
  options.jwt_secret_file = WriteFile("opt-short", "short");
  EXPECT_EQ(RoomServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.auth = "magic";
  EXPECT_EQ(RoomServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

// RS256: the public key verifies, and cannot be used as an HMAC secret.
TEST_F(AuthTest, Rs256TokensAndTheAlgorithmConfusionAttack) {
  server_->Shutdown();
  const TestKeyPair keys = NewRsaKeyPair();
  ServerOptions options = JwtOptions();
  options.jwt_secret_file.clear();
  options.jwt_public_key_file = WriteFile("rsa.pem", keys.public_pem);
  StartServer(options);
  auto watcher = JoinWithMetadata("lobby", Token([&](TokenSpec& s) {
                                    s.alg = "RS256";
                                    s.key = keys.private_pem;
                                  }));
  ASSERT_TRUE(watcher->WaitForWelcome());
  auto forged = JoinWithMetadata("lobby", Token([&](TokenSpec& s) {
                                   s.alg = "HS256";
                                   s.key = keys.public_pem;
                                 }));
  ExpectEnds(*forged, grpc::StatusCode::UNAUTHENTICATED, "algorithm HS256 not accepted");
  ASSERT_TRUE(watcher->Send("fine"));
  ASSERT_TRUE(watcher->WaitFor(IsMessage("fine")));
}

}  // namespace
}  // namespace roomd::testing
