#pragma once

// roomd and wsbridge as child processes (the real binaries, as an operator runs them), both
// on 127.0.0.1 port 0 with their metrics on port 0, and a scratch folder for the test.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/statusor.h"
#include "tests/support/child_process.h"

namespace chat::testing {

// GET 127.0.0.1:port`target`: the body of a 200 answer, or an error.
absl::StatusOr<std::string> Get(int port, const std::string& target);

class OpsFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts both daemons with `extra` flags added to each, and `roomd_extra` and
  // `bridge_extra` to one; records a failure if one does not.
  void StartDaemons(const std::vector<std::string>& extra = {},
                    const std::vector<std::string>& roomd_extra = {},
                    const std::vector<std::string>& bridge_extra = {});

  std::filesystem::path scratch_;
  ListeningChild roomd_;
  ListeningChild bridge_;
  int roomd_metrics_port_ = 0;
  int bridge_metrics_port_ = 0;
};

}  // namespace chat::testing
