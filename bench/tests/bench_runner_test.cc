// End to end: chat_bench's runner against an in-process roomd (and wsbridge), both ways.
// Short runs; the assertions are about correctness of the counts, never about speed.

#include "bench/bench_runner.h"
#include "bench/source_addresses.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "roomd/core/logger.h"
#include "roomd/grpc/server.h"
#include "tests/support/token_minter.h"
#include "wsbridge/bridge_server.h"

namespace bench {
namespace {

constexpr char kRelaySecret[] = "bench-relay-secret-0123456789-0123456789";

std::string TestPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/bench_runner_test_", getpid(), "_", name);
}

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = TestPath(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ostringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  return text.str();
}

// F-secure's servers: roomd with TLS, --auth=jwt and the relay secret; the bridge with
// https/wss, trusting roomd's CA and sending the secret. Certificates from make-test-certs.
struct SecureSetup {
  std::string certs;
  std::string secret_file;
};

class BenchRunnerTest : public ::testing::Test {
 protected:
  void StartRoomd(double rate = 1e6, double burst = 1e6) {
    StartRoomdWith(rate, burst, nullptr);
  }

  SecureSetup MakeSecureSetup() {
    SecureSetup setup;
    setup.certs = TestPath("certs");
    const std::string command = absl::StrCat(MAKE_TEST_CERTS, " ", setup.certs);
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    setup.secret_file = WriteFile("jwt", roomd::testing::kTestSecret);
    return setup;
  }

  void StartRoomdWith(double rate, double burst, const SecureSetup* secure) {
    roomd::SetLoggingEnabled(false);
    roomd::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.rate_per_second = rate;
    options.rate_burst = burst;
    if (secure != nullptr) {
      options.auth = "jwt";
      options.jwt_secret_file = secure->secret_file;
      options.relay_secret_file = WriteFile("relay", kRelaySecret);
      options.tls_cert_file = secure->certs + "/server.pem";
      options.tls_key_file = secure->certs + "/server.key";
    }
    absl::StatusOr<std::unique_ptr<roomd::RoomServer>> server = roomd::RoomServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    roomd_ = *std::move(server);
  }

  void StartBridge(absl::Duration shutdown_timeout = absl::Seconds(5),
                   const SecureSetup* secure = nullptr, std::size_t max_per_address = 256) {
    wsbridge::BridgeOptions options;
    options.max_connections_per_address = max_per_address;
    if (secure != nullptr) {
      options.tls_cert_file = secure->certs + "/server.pem";
      options.tls_key_file = secure->certs + "/server.key";
      options.roomd_ca_pem = ReadFile(secure->certs + "/ca.pem");
      options.relay_secret = kRelaySecret;
    }
    options.shutdown_timeout = shutdown_timeout;
    options.listen = "127.0.0.1:0";
    options.roomd = roomd_->address();
    options.web_root = CHAT_BENCH_TEST_WEB_ROOT;
    options.threads = 2;
    bridge_ = std::make_unique<wsbridge::BridgeServer>(options);
    ASSERT_TRUE(bridge_->Start().ok());
  }

  BenchOptions Options(Mode mode) const {
    BenchOptions options;
    options.mode = mode;
    options.target = mode == Mode::kGrpc ? roomd_->address()
                                         : absl::StrCat("127.0.0.1:", bridge_->port());
    options.clients = 20;
    options.senders = 2;
    options.window = 4;
    options.warmup = absl::Milliseconds(100);
    options.duration = absl::Milliseconds(400);
    options.connect_timeout = absl::Seconds(20);
    options.drain_timeout = absl::Seconds(10);
    options.ack_timeout = absl::Seconds(10);
    options.server_pids = {static_cast<int>(getpid())};  // this process hosts the servers
    return options;
  }

  void TearDown() override {
    if (bridge_) {
      bridge_->Shutdown();
    }
    if (roomd_) {
      roomd_->Shutdown();
    }
  }

  std::unique_ptr<roomd::RoomServer> roomd_;
  std::unique_ptr<wsbridge::BridgeServer> bridge_;
};

void ExpectCleanLoad(const BenchResult& result) {
  EXPECT_TRUE(result.Clean()) << result.Summary();
  EXPECT_EQ(result.connected, result.options.clients);
  EXPECT_TRUE(result.settled);
  EXPECT_GT(result.messages_sent, 0u);
  EXPECT_GT(result.deliveries, 0u);
  EXPECT_EQ(result.lost, 0u);
  EXPECT_EQ(result.out_of_order, 0u);
  EXPECT_EQ(result.dropped, 0);
  EXPECT_GT(result.p50_us, 0);
  EXPECT_LE(result.p50_us, result.max_us);
  ASSERT_EQ(result.servers.size(), 1u);
  EXPECT_GT(result.servers[0].rss_kb, 0);
}

TEST_F(BenchRunnerTest, GrpcRunIsClean) {
  StartRoomd();
  BenchRunner runner(Options(Mode::kGrpc));
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectCleanLoad(*result);
  EXPECT_FALSE(runner.unclean_exit());
}

TEST_F(BenchRunnerTest, WebSocketRunIsClean) {
  StartRoomd();
  StartBridge();
  BenchRunner runner(Options(Mode::kWebSocket));
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectCleanLoad(*result);
}

TEST_F(BenchRunnerTest, SecureWebSocketRunIsClean) {
  // F-secure in small: wss to the bridge, TLS to roomd, each client its own token.
  const SecureSetup secure = MakeSecureSetup();
  StartRoomdWith(1e6, 1e6, &secure);
  StartBridge(absl::Seconds(5), &secure);
  BenchOptions options = Options(Mode::kWebSocket);
  options.clients = 8;
  options.tls_ca_file = secure.certs + "/ca.pem";
  options.jwt_secret = roomd::testing::kTestSecret;
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectCleanLoad(*result);
}

TEST_F(BenchRunnerTest, SecureClientsNeedTheRightCaAndAToken) {
  const SecureSetup secure = MakeSecureSetup();
  StartRoomdWith(1e6, 1e6, &secure);
  StartBridge(absl::Seconds(5), &secure);
  BenchOptions options = Options(Mode::kWebSocket);
  options.clients = 3;
  options.senders = 1;
  options.connect_timeout = absl::Seconds(10);
  {
    SCOPED_TRACE("a CA that did not sign the bridge's certificate");
    options.tls_ca_file = secure.certs + "/other-ca.pem";
    options.jwt_secret = roomd::testing::kTestSecret;
    BenchRunner runner(options);
    absl::StatusOr<BenchResult> result = runner.Run();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->connected, 0);
    EXPECT_NE(result->first_drop.find("TLS handshake"), std::string::npos) << result->first_drop;
  }
  {
    SCOPED_TRACE("no token: roomd refuses the join");
    options.tls_ca_file = secure.certs + "/ca.pem";
    options.jwt_secret.clear();
    BenchRunner runner(options);
    absl::StatusOr<BenchResult> result = runner.Run();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->connected, 0);
    EXPECT_NE(result->first_drop.find("4016"), std::string::npos) << result->first_drop;
  }
}

TEST_F(BenchRunnerTest, PacedEchoRunOverSeveralRoomsIsClean) {
  StartRoomd();
  StartBridge();
  BenchOptions options = Options(Mode::kWebSocket);
  options.rooms = 2;
  options.rate = 20;
  options.ack = AckMode::kEcho;
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  ExpectCleanLoad(*result);
}

TEST_F(BenchRunnerTest, IdleHoldsEveryConnection) {
  StartRoomd();
  StartBridge();
  BenchOptions options = Options(Mode::kWebSocket);
  options.idle = true;
  options.senders = 0;
  options.clients = 30;
  options.rooms = 3;
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->Clean()) << result->Summary();
  EXPECT_EQ(result->connected, 30);
  EXPECT_EQ(result->dropped, 0);
  EXPECT_EQ(result->deliveries, 0u);
}

TEST_F(BenchRunnerTest, ClientsConnectFromTheSourceAddressRange) {
  StartRoomd();
  // Two connections per address: six clients fit on three addresses, not on one.
  StartBridge(absl::Seconds(5), nullptr, /*max_per_address=*/2);
  BenchOptions options = Options(Mode::kWebSocket);
  options.idle = true;
  options.senders = 0;
  options.clients = 6;
  options.duration = absl::Milliseconds(100);
  options.connect_timeout = absl::Seconds(10);
  {
    SCOPED_TRACE("127.0.0.20-127.0.0.22");
    ASSERT_TRUE(ParseSourceAddresses("127.0.0.20-127.0.0.22", &options).ok());
    BenchRunner runner(options);
    absl::StatusOr<BenchResult> result = runner.Run();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->Clean()) << result->Summary();
    EXPECT_EQ(result->connected, 6);
  }
  {
    SCOPED_TRACE("127.0.0.23-127.0.0.23: the bridge refuses the third and later");
    ASSERT_TRUE(ParseSourceAddresses("127.0.0.23-127.0.0.23", &options).ok());
    BenchRunner runner(options);
    absl::StatusOr<BenchResult> result = runner.Run();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->connected, 2);
    EXPECT_EQ(result->connect_errors, 4);
  }
}

TEST_F(BenchRunnerTest, ShardsSplitOneLoadAndMeetAtTheBarrier) {
  StartRoomd();
  StartBridge();
  const std::string barrier = TestPath("barrier");
  ASSERT_EQ(std::system(absl::StrCat("rm -rf ", barrier, " && mkdir -p ", barrier).c_str()), 0);
  BenchOptions options = Options(Mode::kWebSocket);
  options.clients = 10;
  options.rooms = 2;
  options.senders = 2;  // one in each room
  options.rate = 20;
  options.shards = 2;
  options.barrier_dir = barrier;
  options.sample_delay = absl::Milliseconds(200);  // memory sampled at the last join and after
  std::vector<absl::StatusOr<BenchResult>> results(2, absl::UnknownError("not run"));
  std::vector<std::thread> shards;
  for (int k = 0; k < 2; ++k) {
    shards.emplace_back([&, k] {
      BenchOptions mine = options;
      mine.shard = k;
      results[static_cast<std::size_t>(k)] = BenchRunner(mine).Run();
    });
  }
  for (std::thread& shard : shards) {
    shard.join();
  }
  for (const absl::StatusOr<BenchResult>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    ExpectCleanLoad(*result);
    EXPECT_TRUE(result->barrier_passed);
    EXPECT_EQ(result->rooms_reached, 2);  // a message reached every member of both rooms
    EXPECT_GT(result->servers[0].rss_last_join_kb, 0);
    EXPECT_GT(result->servers[0].rss_joined_kb, 0);
    EXPECT_NE(result->ToJson().find("\"rss_last_join_kb\":"), std::string::npos);
  }
  // The shards' rooms are distinct: bench-0, bench-1 (shard 0) and bench-2, bench-3.
  std::vector<std::string> rooms;
  for (const chat::v1::RoomInfo& room : roomd_->rooms().List()) {
    rooms.push_back(room.name());
  }
  std::sort(rooms.begin(), rooms.end());
  EXPECT_EQ(rooms, (std::vector<std::string>{"bench-0", "bench-1", "bench-2", "bench-3"}));
}

TEST_F(BenchRunnerTest, AShardAloneTimesOutAtTheBarrier) {
  StartRoomd();
  StartBridge();
  const std::string barrier = TestPath("lonely-barrier");
  ASSERT_EQ(std::system(absl::StrCat("rm -rf ", barrier, " && mkdir -p ", barrier).c_str()), 0);
  BenchOptions options = Options(Mode::kWebSocket);
  options.idle = true;
  options.senders = 0;
  options.clients = 4;
  options.shards = 2;
  options.barrier_dir = barrier;
  options.connect_timeout = absl::Seconds(1);
  options.duration = absl::Milliseconds(100);
  absl::StatusOr<BenchResult> result = BenchRunner(options).Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->barrier_passed);
  EXPECT_FALSE(result->Clean());
  EXPECT_EQ(result->connected, 4);
}

TEST_F(BenchRunnerTest, ChurnEndsWithEveryCountExact) {
  StartRoomd();
  StartBridge();
  BenchOptions options = Options(Mode::kWebSocket);
  options.idle = true;
  options.senders = 0;
  options.clients = 40;
  options.churn = 10;
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->Clean()) << result->Summary();
  EXPECT_EQ(result->churn_wrong, 0);
  EXPECT_EQ(result->dropped, 0) << "the tool's own leavers are no drops";
}

TEST_F(BenchRunnerTest, RefusedSendsMakeTheRunUnclean) {
  StartRoomd(/*rate=*/1, /*burst=*/2);  // far below what the senders try
  BenchRunner runner(Options(Mode::kGrpc));
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->rejected, 0u);
  EXPECT_GT(result->server_errors, 0u);
  EXPECT_EQ(result->lost, 0u) << "refused messages are not lost";
  EXPECT_EQ(result->ack_timeouts, 0u);
  EXPECT_FALSE(result->Clean());
}

TEST_F(BenchRunnerTest, UnreachableTargetIsReportedNotHung) {
  StartRoomd();
  BenchOptions options = Options(Mode::kGrpc);
  options.mode = Mode::kWebSocket;
  options.target = "127.0.0.1:1";  // nothing listens there
  options.connect_timeout = absl::Seconds(5);
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->connected, 0);
  EXPECT_EQ(result->connect_errors, options.clients);
  EXPECT_FALSE(result->Clean());
}

TEST_F(BenchRunnerTest, ClientsAnswerTheBridgesCloseAndCountAsDropped) {
  StartRoomd();
  const absl::Duration shutdown_timeout = absl::Seconds(30);
  StartBridge(shutdown_timeout);
  BenchOptions options = Options(Mode::kWebSocket);
  options.duration = absl::Seconds(1);
  BenchRunner runner(options);
  // Once every client joined and messages flow, the bridge goes away: it sends each browser
  // a close (1001) and waits for the answer, so a client that does not answer (or an answer
  // the bridge does not read) holds its shutdown for the whole timeout.
  bool measuring = false;
  absl::Duration shutdown_took;
  std::thread stopper([&] {
    measuring = runner.WaitUntilMeasuring(options.connect_timeout);
    const absl::Time start = absl::Now();
    bridge_->Shutdown();
    shutdown_took = absl::Now() - start;
  });
  absl::StatusOr<BenchResult> result = runner.Run();
  stopper.join();
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(measuring) << "the run never reached its measured interval: " << result->Summary();
  EXPECT_FALSE(result->Clean());
  EXPECT_EQ(result->dropped, options.clients);
  EXPECT_NE(result->first_drop.find("closed by the server: 1001 going away"), std::string::npos)
      << result->first_drop;
  // A client that answered ended right after writing its answer, with just that reason.
  std::string unanswered;
  for (std::size_t i = 0; i < result->client_ends.size(); ++i) {
    if (result->client_ends[i] != "closed by the server: 1001 going away") {
      const std::string& end = result->client_ends[i];
      absl::StrAppend(&unanswered, "\n  client ", i, ": ",
                      end.empty() ? "still open when the run stopped" : end);
    }
  }
  EXPECT_TRUE(unanswered.empty()) << "clients that did not answer the close, and how they ended:"
                                  << unanswered;
  EXPECT_LT(shutdown_took, shutdown_timeout)
      << "the bridge kept a session open; "
      << (unanswered.empty() ? "every client answered, so the bridge did not read an answer "
                               "(its log names the session and the missing half)"
                             : "see the clients above");
}

TEST_F(BenchRunnerTest, AServerThatDoesNotUpgradeIsAConnectError) {
  StartRoomd();
  BenchOptions options = Options(Mode::kGrpc);
  options.mode = Mode::kWebSocket;  // at roomd's address: gRPC (HTTP/2) does not upgrade
  options.clients = 3;
  options.senders = 1;
  options.connect_timeout = absl::Seconds(5);
  BenchRunner runner(options);
  absl::StatusOr<BenchResult> result = runner.Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->connected, 0);
  EXPECT_EQ(result->connect_errors, options.clients);
  EXPECT_NE(result->first_drop.find("handshake"), std::string::npos) << result->first_drop;
}

}  // namespace
}  // namespace bench
