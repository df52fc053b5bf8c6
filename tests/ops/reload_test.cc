// SIGHUP: both daemons re-read --log_format from their flag files and go on serving.

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/ops/ops_fixture.h"

namespace chat::testing {
namespace {

class ReloadTest : public OpsFixture {};

TEST_F(ReloadTest, SighupSwitchesTheLogFormatAndKeepsServing) {
  const std::string flags = (scratch_ / "daemon.flags").string();
  std::ofstream(flags) << "--log_format=text\n";
  ASSERT_NO_FATAL_FAILURE(StartDaemons({"--flagfile=" + flags}));
  std::ofstream(flags) << "# switched by the test\n--log_format=json\n";
  for (ListeningChild* child : {&roomd_, &bridge_}) {
    ASSERT_TRUE(child->process->Signal(SIGHUP).ok());
    ASSERT_TRUE(child->process->WaitForLine("{\"time\":").has_value())
        << child->process->Output();
    EXPECT_NE(child->process->Output().find("log format now json"), std::string::npos);
  }
  // Still serving.
  EXPECT_TRUE(Get(roomd_metrics_port_, "/metrics").ok());
  EXPECT_TRUE(Get(bridge_.port, "/healthz").ok());
}

}  // namespace
}  // namespace chat::testing
