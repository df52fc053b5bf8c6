#include "tests/roomd/integration/redis/redis_server.h"

#include <signal.h>

#include <string>
#include <vector>

namespace roomd::testing {
namespace {

constexpr char kReady[] = "Ready to accept connections";
constexpr int kPortAttempts = 5;

}  // namespace

std::unique_ptr<RedisServer> RedisServer::Start(std::string* error) {
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    std::unique_ptr<RedisServer> server(new RedisServer(chat::testing::PickFreePort()));
    if (server->Launch(error)) {
      return server;
    }
    // Most likely someone took the port between picking and binding: pick another.
  }
  return nullptr;
}

bool RedisServer::Launch(std::string* error) {
  const std::string binary = chat::testing::FindProgram("redis-server");
  if (binary.empty()) {
    *error = "redis-server is not installed";
    return false;
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
      {binary, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no"});
  if (!process.ok()) {
    *error = "cannot start redis-server: " + process.status().ToString();
    return false;
  }
  process_ = *std::move(process);
  if (!process_->WaitForLine(kReady, absl::Seconds(20)).has_value()) {
    *error = "redis-server did not start: " + process_->Output();
    process_.reset();
    return false;
  }
  return true;
}

void RedisServer::Kill() {
  if (process_ != nullptr) {
    process_->Kill(SIGKILL);
    process_.reset();
  }
}

bool RedisServer::Restart(std::string* error) {
  Kill();
  return Launch(error);
}

}  // namespace roomd::testing
