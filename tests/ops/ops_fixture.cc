#include "tests/ops/ops_fixture.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "tests/support/http_test_client.h"

namespace chat::testing {

void OpsFixture::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ops_test_XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  scratch_ = pattern;
}

void OpsFixture::TearDown() {
  if (bridge_.process) {
    bridge_.process->Kill(SIGTERM);
  }
  if (roomd_.process) {
    roomd_.process->Kill(SIGTERM);
  }
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

void OpsFixture::StartDaemons(const std::vector<std::string>& extra,
                              const std::vector<std::string>& roomd_extra,
                              const std::vector<std::string>& bridge_extra) {
  std::vector<std::string> roomd_argv = {ROOMD_BINARY, "--listen=127.0.0.1:0",
                                         "--metrics_listen=127.0.0.1:0", "--shutdown_grace=1s"};
  roomd_argv.insert(roomd_argv.end(), extra.begin(), extra.end());
  roomd_argv.insert(roomd_argv.end(), roomd_extra.begin(), roomd_extra.end());
  absl::StatusOr<ListeningChild> roomd = StartListening(roomd_argv, "listening on 127.0.0.1:");
  ASSERT_TRUE(roomd.ok()) << roomd.status();
  roomd_ = *std::move(roomd);
  roomd_metrics_port_ = roomd_.process->WaitForPort("metrics on 127.0.0.1:");
  ASSERT_GT(roomd_metrics_port_, 0) << roomd_.process->Output();

  std::vector<std::string> bridge_argv = {
      WSBRIDGE_BINARY, "--listen=127.0.0.1:0", absl::StrCat("--roomd=127.0.0.1:", roomd_.port),
      "--metrics_listen=127.0.0.1:0", "--web_root=" WEB_ROOT, "--threads=2",
      "--shutdown_timeout=1s"};
  bridge_argv.insert(bridge_argv.end(), extra.begin(), extra.end());
  bridge_argv.insert(bridge_argv.end(), bridge_extra.begin(), bridge_extra.end());
  absl::StatusOr<ListeningChild> bridge =
      StartListening(bridge_argv, "listening on http://127.0.0.1:");
  ASSERT_TRUE(bridge.ok()) << bridge.status();
  bridge_ = *std::move(bridge);
  bridge_metrics_port_ = bridge_.process->WaitForPort("metrics on 127.0.0.1:");
  ASSERT_GT(bridge_metrics_port_, 0) << bridge_.process->Output();
}

absl::StatusOr<std::string> Get(int port, const std::string& target) {
  absl::StatusOr<wsbridge::testing::HttpResult> result = wsbridge::testing::HttpGet(port, target);
  if (!result.ok()) {
    return result.status();
  }
  if (result->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", target, ": HTTP ", result->status, " ",
                                               result->body));
  }
  return result->body;
}

}  // namespace chat::testing
