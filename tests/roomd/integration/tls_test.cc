// roomd over TLS and mutual TLS: clients that trust the CA get through (with a bearer token
// in jwt mode), a plaintext client against the TLS port does not, and under mutual TLS a
// client certificate from another CA is refused while one from the right CA also admits
// Relay without the secret.

#include <grpcpp/security/credentials.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/relay_test_client.h"
#include "tests/support/roomd_fixture.h"
#include "tests/support/token_minter.h"

namespace roomd::testing {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class TlsTest : public RoomdTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(::testing::TempDir(), "/tls_test_", getpid()));
    const std::string command = absl::StrCat(MAKE_TEST_CERTS, " ", *dir_);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string File(const std::string& name) { return absl::StrCat(*dir_, "/", name); }

  ServerOptions TlsOptions(bool mutual) {
    ServerOptions options = TestOptions();
    options.tls_cert_file = File("server.pem");
    options.tls_key_file = File("server.key");
    if (mutual) {
      options.tls_client_ca_file = File("ca.pem");
    }
    return options;
  }

  // A channel that trusts the test CA, presenting `client` ("client", "other-client") or
  // no certificate ("").
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadText(File("ca.pem"));
    if (!client.empty()) {
      ssl.pem_cert_chain = ReadText(File(client + ".pem"));
      ssl.pem_private_key = ReadText(File(client + ".key"));
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(server_->address(), grpc::SslCredentials(ssl), args);
  }

  static grpc::Status ListRooms(const std::shared_ptr<grpc::Channel>& channel,
                                const ChatTestClient::Metadata& metadata = {}) {
    auto stub = chat::v1::ChatService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    chat::v1::ListRoomsResponse response;
    return stub->ListRooms(WithMetadata(&context, metadata), chat::v1::ListRoomsRequest(),
                           &response);
  }

  static std::string* dir_;
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, ClientsThatTrustTheCaChatAndPlaintextClientsFail) {
  StartServer(TlsOptions(/*mutual=*/false));
  auto alice = std::make_unique<ChatTestClient>(TlsChannel(""));
  ASSERT_TRUE(alice->Join("lobby", "alice@example.com"));
  ASSERT_TRUE(alice->WaitForWelcome());
  ASSERT_TRUE(alice->Send("over tls"));
  ASSERT_TRUE(alice->WaitFor(IsMessage("over tls")));

  const grpc::Status plaintext = ListRooms(NewChannel());  // NewChannel is plaintext
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE) << plaintext.error_message();
}

TEST_F(TlsTest, MutualTlsRefusesForeignCertificatesAndAdmitsRelayByCertificate) {
  ServerOptions options = TlsOptions(/*mutual=*/true);
  options.auth = "jwt";  // allowed without a relay secret: mutual TLS protects Relay
  options.jwt_secret_file = absl::StrCat(*dir_, "/jwt-secret");
  std::ofstream(options.jwt_secret_file) << kTestSecret;
  StartServer(options);
  TokenSpec spec;
  spec.key = kTestSecret;
  const ChatTestClient::Metadata bearer = {{"authorization", "Bearer " + MintToken(spec)}};

  EXPECT_TRUE(ListRooms(TlsChannel("client"), bearer).ok());
  EXPECT_EQ(ListRooms(TlsChannel("client")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListRooms(TlsChannel("other-client"), bearer).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListRooms(TlsChannel(""), bearer).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListRooms(NewChannel(), bearer).error_code(), grpc::StatusCode::UNAVAILABLE);

  auto stub = chat::v1::ChatService::NewStub(TlsChannel("client"));
  RelayTestClient relay(stub.get());
  chat::v1::ClientEvent join;
  join.mutable_join()->set_room("lobby");
  join.mutable_join()->set_token(MintToken(spec));
  ASSERT_TRUE(relay.Send(1, join));
  EXPECT_TRUE(
      relay.WaitFor(1, [](const chat::v1::ServerEvent& event) { return event.has_welcome(); }));
}

TEST_F(TlsTest, MissingOrHalfConfiguredFilesRefuseToStart) {
  ServerOptions options = TestOptions();
  options.tls_cert_file = File("server.pem");
  EXPECT_EQ(RoomServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_key_file = File("missing.key");
  EXPECT_EQ(RoomServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace roomd::testing
