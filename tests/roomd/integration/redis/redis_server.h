#pragma once

#include <memory>
#include <string>

#include "tests/support/child_process.h"

namespace roomd::testing {

using chat::testing::ChildProcess;

// A redis-server of the test's own on a free loopback port, without persistence (so a
// restart loses everything, the harshest case for roomd). Lifetime: killed when destroyed.
class RedisServer {
 public:
  // Starts it and waits until it accepts connections; null (with the reason in *error) if
  // it cannot.
  static std::unique_ptr<RedisServer> Start(std::string* error);

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // Kills it without warning (SIGKILL).
  void Kill();
  // Starts it again on the same port; false if it does not come up.
  bool Restart(std::string* error);

 private:
  explicit RedisServer(int port) : port_(port) {}
  bool Launch(std::string* error);

  const int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace roomd::testing
