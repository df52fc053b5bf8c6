#pragma once

// A real roomd and a real wsbridge in-process, both on 127.0.0.1 port 0, with a scratch
// web root. Tests change bridge_options_ / roomd_options_ in their fixture's constructor.

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "roomd/grpc/server.h"
#include "tests/support/ws_test_client.h"
#include "wsbridge/bridge_options.h"
#include "wsbridge/bridge_server.h"

namespace wsbridge::testing {

class BridgeFixture : public ::testing::Test {
 protected:
  BridgeFixture();
  void SetUp() override;
  void TearDown() override;

  // Starts roomd on `port` (0: any free port).
  void StartRoomd(int port);
  void StopRoomd();
  void StartBridge();

  int bridge_port() const { return bridge_->port(); }

  // A connected client, or nullptr after recording a test failure.
  std::unique_ptr<WsTestClient> Connect(const std::string& target = "/chat");
  // A client that joined `room` as `email` and got its Welcome, or nullptr (failure).
  std::unique_ptr<WsTestClient> Joined(const std::string& room, const std::string& email);

  BridgeOptions bridge_options_;
  roomd::ServerOptions roomd_options_;
  std::unique_ptr<roomd::RoomServer> roomd_;
  std::unique_ptr<BridgeServer> bridge_;
  std::filesystem::path scratch_;   // holds web/ and, beside it, secret.txt
  std::filesystem::path web_root_;
};

}  // namespace wsbridge::testing
