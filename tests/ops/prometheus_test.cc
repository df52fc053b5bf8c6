// Both daemons' /metrics as Prometheus sees them: promtool accepts the text, and a real
// Prometheus scraping both on loopback reads back the counters after some chat traffic.

#include <fstream>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tests/ops/ops_fixture.h"
#include "tests/support/ws_test_client.h"

namespace chat::testing {
namespace {

using ::testing::HasSubstr;

class PrometheusTest : public OpsFixture {
 protected:
  // `promtool check metrics` on `text`: its exit status and what it printed.
  std::pair<int, std::string> PromtoolCheck(const std::string& text, const std::string& name) {
    const std::filesystem::path file = scratch_ / (name + ".prom");
    std::ofstream(file) << text;
    absl::StatusOr<std::unique_ptr<ChildProcess>> promtool = ChildProcess::Start(
        {"/bin/sh", "-c", absl::StrCat(FindProgram("promtool"), " check metrics < ", file.string())});
    if (!promtool.ok()) {
      return {-1, std::string(promtool.status().message())};
    }
    const std::optional<int> status = (*promtool)->WaitForExit(absl::Seconds(60));
    return {status.value_or(-1), (*promtool)->Output()};
  }

  // Some chat through the bridge: two browsers, `count` messages from one seen by the other.
  void Chat(int count) {
    auto alice = wsbridge::testing::WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(alice.ok()) << alice.status();
    auto bob = wsbridge::testing::WsTestClient::Connect(bridge_.port);
    ASSERT_TRUE(bob.ok()) << bob.status();
    ASSERT_TRUE((*alice)->Join("ops", "alice@example.com").ok());
    ASSERT_TRUE((*alice)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    ASSERT_TRUE((*bob)->Join("ops", "bob@example.com").ok());
    ASSERT_TRUE((*bob)->ReadEvent(wsbridge::testing::IsWelcome()).ok());
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE((*alice)->Send(absl::StrCat("message ", i)).ok());
      ASSERT_TRUE((*bob)
                      ->ReadEvent([](const wsbridge::testing::WsTestClient::Event& event) {
                        return event.contains("message");
                      })
                      .ok());
    }
    ASSERT_TRUE((*alice)->Close(boost::beast::websocket::close_code::normal).ok());
    ASSERT_TRUE((*bob)->Close(boost::beast::websocket::close_code::normal).ok());
  }
};

TEST_F(PrometheusTest, PromtoolAcceptsBothDaemonsMetrics) {
  ASSERT_NO_FATAL_FAILURE(StartDaemons());
  ASSERT_NO_FATAL_FAILURE(Chat(3));
  for (const auto& [name, port] :
       {std::pair<std::string, int>{"roomd", roomd_metrics_port_}, {"wsbridge", bridge_metrics_port_}}) {
    absl::StatusOr<std::string> text = Get(port, "/metrics");
    ASSERT_TRUE(text.ok()) << name << ": " << text.status();
    EXPECT_THAT(*text, HasSubstr("process_resident_memory_bytes "));
    EXPECT_THAT(*text, HasSubstr("chat_connections_total{kind="));
    const auto [status, output] = PromtoolCheck(*text, name);
    EXPECT_EQ(status, 0) << name << ": promtool said:\n" << output << "\non:\n" << *text;
  }
  // The bridge's public port serves no metrics unless asked to.
  EXPECT_FALSE(Get(bridge_.port, "/metrics").ok());
}

TEST_F(PrometheusTest, TheBridgeServesMetricsOnItsPublicPortOnlyWhenToldThatAddress) {
  absl::StatusOr<ListeningChild> roomd =
      StartListening({ROOMD_BINARY, "--listen=127.0.0.1:0"}, "listening on 127.0.0.1:");
  ASSERT_TRUE(roomd.ok()) << roomd.status();
  absl::StatusOr<ListeningChild> bridge;
  for (int attempt = 0; attempt < 3 && !bridge.ok(); ++attempt) {
    const std::string address = absl::StrCat("127.0.0.1:", PickFreePort());
    bridge = StartListening({WSBRIDGE_BINARY, "--listen=" + address, "--metrics_listen=" + address,
                             absl::StrCat("--roomd=127.0.0.1:", roomd->port),
                             "--web_root=" WEB_ROOT},
                            "listening on http://127.0.0.1:");
  }
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  absl::StatusOr<std::string> text = Get(bridge->port, "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("chat_connections{kind=\"websocket\"} 0\n"));
  bridge->process->Kill(SIGTERM);
  roomd->process->Kill(SIGTERM);
}

// Starts Prometheus scraping both daemons every 500 ms; retries on another port if the one
// picked was taken meanwhile.
absl::StatusOr<ListeningChild> StartPrometheus(const std::filesystem::path& dir,
                                               int roomd_metrics, int bridge_metrics) {
  const std::filesystem::path config = dir / "prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
                        << "scrape_configs:\n"
                        << "  - job_name: roomd\n    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << roomd_metrics << "']\n"
                        << "  - job_name: wsbridge\n    static_configs:\n"
                        << "      - targets: ['127.0.0.1:" << bridge_metrics << "']\n";
  absl::Status last = absl::UnknownError("not started");
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int port = PickFreePort();
    absl::StatusOr<std::unique_ptr<ChildProcess>> prometheus = ChildProcess::Start(
        {FindProgram("prometheus"), "--config.file=" + config.string(),
         "--storage.tsdb.path=" + (dir / absl::StrCat("tsdb", attempt)).string(),
         absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=info"});
    if (!prometheus.ok()) {
      return prometheus.status();
    }
    if ((*prometheus)->WaitForLine("Server is ready to receive web requests", absl::Seconds(60))) {
      return ListeningChild{*std::move(prometheus), port};
    }
    last = absl::UnavailableError((*prometheus)->Output());
  }
  return last;
}

// The value of the single series `query` returns, or -1 while it has none.
double QueryValue(int port, const std::string& query) {
  std::string encoded;
  for (char c : query) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      encoded.push_back(c);
    } else {
      encoded += absl::StrFormat("%%%02X", static_cast<unsigned char>(c));
    }
  }
  absl::StatusOr<std::string> body = Get(port, "/api/v1/query?query=" + encoded);
  if (!body.ok()) {
    return -1;
  }
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(*body, ec);
  if (ec || !json.is_object()) {
    return -1;
  }
  const boost::json::value* result = json.as_object().if_contains("data");
  if (result == nullptr || !result->is_object() ||
      !result->as_object().contains("result") ||
      !result->as_object().at("result").is_array() ||
      result->as_object().at("result").as_array().empty()) {
    return -1;
  }
  const boost::json::value& sample = result->as_object().at("result").as_array()[0];
  const boost::json::string& value = sample.at("value").as_array()[1].as_string();
  return std::stod(std::string(value));
}

TEST_F(PrometheusTest, ARealPrometheusScrapesBothDaemons) {
  const std::string prometheus_binary = FindProgram("prometheus");
  ASSERT_FALSE(prometheus_binary.empty())
      << "prometheus is not installed: scripts/install-deps test installs it";
  ASSERT_NO_FATAL_FAILURE(StartDaemons());
  absl::StatusOr<ListeningChild> prometheus =
      StartPrometheus(scratch_, roomd_metrics_port_, bridge_metrics_port_);
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  ASSERT_NO_FATAL_FAILURE(Chat(5));

  // Scrapes come every 500 ms: poll the API until both counters show the traffic.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  double messages = -1;
  double websockets = -1;
  while (absl::Now() < deadline && (messages < 5 || websockets < 2)) {
    messages = QueryValue(prometheus->port, "chat_messages_total{job=\"roomd\"}");
    websockets = QueryValue(prometheus->port,
                            "chat_connections_total{job=\"wsbridge\",kind=\"websocket\"}");
    absl::SleepFor(absl::Milliseconds(100));  // the poll's pace, not a wait for an outcome
  }
  EXPECT_EQ(messages, 5) << prometheus->process->Output();
  EXPECT_EQ(websockets, 2) << prometheus->process->Output();
  EXPECT_EQ(QueryValue(prometheus->port, "up{job=\"roomd\"}"), 1);
  EXPECT_EQ(QueryValue(prometheus->port, "up{job=\"wsbridge\"}"), 1);
  prometheus->process->Kill(SIGTERM);
}

}  // namespace
}  // namespace chat::testing
