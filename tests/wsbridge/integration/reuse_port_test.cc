// Several bridges on one port (--reuse_port): the kernel spreads the connections over them,
// and a room's messages cross from a browser on one bridge to a browser on the other,
// through the one roomd both relay to.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"

namespace wsbridge::testing {
namespace {

// Clients tried before giving up on a bridge getting none: SO_REUSEPORT hashes each
// connection's addresses and ports, so 64 all on one of two bridges is a 1 in 2^63 chance.
constexpr int kMaxClients = 64;

class ReusePortTest : public BridgeFixture {
 protected:
  ReusePortTest() { bridge_options_.reuse_port = true; }

  // A second bridge on the first one's port, over its own relays to the same roomd.
  void StartSecondBridge() {
    BridgeOptions options = bridge_options_;
    options.listen = absl::StrCat("127.0.0.1:", bridge_port());
    second_ = std::make_unique<BridgeServer>(options);
    const absl::Status status = second_->Start();
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(second_->port(), bridge_port());
  }

  void TearDown() override {
    if (second_) {
      second_->Shutdown();
      second_.reset();
    }
    BridgeFixture::TearDown();
  }

  std::unique_ptr<BridgeServer> second_;
};

TEST_F(ReusePortTest, TwoBridgesShareThePortAndARoom) {
  StartSecondBridge();
  // Join clients until each bridge holds one; a joined client is a session of the bridge
  // that accepted it, so the counts tell which one that was.
  std::vector<std::unique_ptr<WsTestClient>> clients;
  WsTestClient* on_first = nullptr;
  WsTestClient* on_second = nullptr;
  for (int i = 0; i < kMaxClients && (on_first == nullptr || on_second == nullptr); ++i) {
    const std::size_t first_before = bridge_->session_count();
    const std::size_t second_before = second_->session_count();
    auto client = Joined("shared", absl::StrCat("u", i, "@example.com"));
    ASSERT_NE(client, nullptr);
    if (bridge_->session_count() > first_before) {
      on_first = client.get();
    } else {
      ASSERT_GT(second_->session_count(), second_before) << "client " << i << " on neither";
      on_second = client.get();
    }
    clients.push_back(std::move(client));
  }
  ASSERT_NE(on_first, nullptr) << "the first bridge accepted none of " << clients.size();
  ASSERT_NE(on_second, nullptr) << "the second bridge accepted none of " << clients.size();
  EXPECT_EQ(bridge_->session_count() + second_->session_count(), clients.size());

  ASSERT_TRUE(on_first->Send("from the first bridge").ok());
  EXPECT_TRUE(on_second->ReadEvent(IsMessage("from the first bridge")).ok());
  ASSERT_TRUE(on_second->Send("from the second bridge").ok());
  EXPECT_TRUE(on_first->ReadEvent(IsMessage("from the second bridge")).ok());
}

TEST_F(ReusePortTest, WithoutTheFlagTheSecondBridgeCannotBind) {
  BridgeOptions options = bridge_options_;
  options.reuse_port = false;
  options.listen = absl::StrCat("127.0.0.1:", bridge_port());
  BridgeServer second(options);
  const absl::Status status = second.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot bind"), std::string::npos) << status;
}

}  // namespace
}  // namespace wsbridge::testing
