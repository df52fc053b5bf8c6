#include "tests/support/bridge_fixture.h"

#include <stdlib.h>

#include <fstream>

namespace wsbridge::testing {
namespace {

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace

BridgeFixture::BridgeFixture() {
  roomd_options_.listen = "127.0.0.1:0";
  // Tests send faster than a person; the rate limit has tests of its own in roomd.
  roomd_options_.rate_per_second = 1e6;
  roomd_options_.rate_burst = 1e6;
  roomd_options_.shutdown_grace = absl::Seconds(1);
  bridge_options_.listen = "127.0.0.1:0";
  bridge_options_.threads = 2;
  bridge_options_.shutdown_timeout = absl::Seconds(5);
}

void BridgeFixture::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wsbridge_test_XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  scratch_ = pattern;
  web_root_ = scratch_ / "web";
  std::filesystem::create_directories(web_root_ / "sub");
  WriteFile(web_root_ / "index.html", "<!doctype html><title>chat</title>");
  WriteFile(web_root_ / "app.js", "console.log('hi');");
  WriteFile(web_root_ / "style.css", "body{}");
  WriteFile(web_root_ / "logo.png", std::string("\x89PNG\r\n\x1a\n", 8));
  WriteFile(web_root_ / "icon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
  WriteFile(web_root_ / "sub" / "page.html", "<p>sub</p>");
  WriteFile(web_root_ / ".hidden", "hidden");
  WriteFile(scratch_ / "secret.txt", "top secret");
  std::filesystem::create_symlink("../secret.txt", web_root_ / "link.txt");

  StartRoomd(0);
  ASSERT_NE(roomd_, nullptr);
  StartBridge();
}

void BridgeFixture::TearDown() {
  if (bridge_) {
    bridge_->Shutdown();
    bridge_.reset();
  }
  StopRoomd();
  if (!scratch_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }
}

void BridgeFixture::StartRoomd(int port) {
  roomd::ServerOptions options = roomd_options_;
  options.listen = "127.0.0.1:" + std::to_string(port);
  auto server = roomd::RoomServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  roomd_ = *std::move(server);
  bridge_options_.roomd = roomd_->address();
}

void BridgeFixture::StopRoomd() {
  if (roomd_) {
    roomd_->Shutdown();
    roomd_.reset();
  }
}

void BridgeFixture::StartBridge() {
  bridge_options_.web_root = web_root_.string();
  bridge_ = std::make_unique<BridgeServer>(bridge_options_);
  const absl::Status status = bridge_->Start();
  ASSERT_TRUE(status.ok()) << status;
}

std::unique_ptr<WsTestClient> BridgeFixture::Connect(const std::string& target) {
  WsTestClient::Options options;
  options.target = target;
  auto client = WsTestClient::Connect(bridge_port(), options);
  if (!client.ok()) {
    ADD_FAILURE() << "connect " << target << ": " << client.status();
    return nullptr;
  }
  return *std::move(client);
}

std::unique_ptr<WsTestClient> BridgeFixture::Joined(const std::string& room,
                                                    const std::string& email) {
  auto client = Connect();
  if (client == nullptr) {
    return nullptr;
  }
  if (absl::Status status = client->Join(room, email); !status.ok()) {
    ADD_FAILURE() << "join: " << status;
    return nullptr;
  }
  auto welcome = client->ReadEvent(IsWelcome());
  if (!welcome.ok()) {
    ADD_FAILURE() << "no welcome for " << email << ": " << welcome.status();
    return nullptr;
  }
  return client;
}

}  // namespace wsbridge::testing
