// permessage-deflate between the bridge and a WebSocket client that offers it, as browsers
// do: the upgrade agrees to it, the bridge's frames arrive compressed and inflate to the
// same events in order, a client that did not offer it in the same room gets them plain,
// and --nopermessage_deflate agrees to nothing.

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/bridge_fixture.h"
#include "wsbridge/bridge_metrics.h"

namespace wsbridge::testing {
namespace {

class DeflateTest : public BridgeFixture {
 protected:
  std::unique_ptr<WsTestClient> JoinedWithDeflate(const std::string& room,
                                                  const std::string& email) {
    WsTestClient::Options options;
    options.deflate = true;
    auto client = WsTestClient::Connect(bridge_port(), options);
    if (!client.ok()) {
      ADD_FAILURE() << "connect: " << client.status();
      return nullptr;
    }
    if (absl::Status status = (*client)->Join(room, email); !status.ok()) {
      ADD_FAILURE() << "join: " << status;
      return nullptr;
    }
    if (auto welcome = (*client)->ReadEvent(IsWelcome()); !welcome.ok()) {
      ADD_FAILURE() << "no welcome for " << email << ": " << welcome.status();
      return nullptr;
    }
    return *std::move(client);
  }
};

void ExpectMessagesInOrder(WsTestClient& reader, int count) {
  for (int i = 0; i < count; ++i) {
    auto message = reader.ReadEvent(IsAnyMessage());
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(Str(*message, {"message", "text"}), absl::StrCat("message number ", i));
    EXPECT_EQ(Str(*message, {"message", "from", "name"}), "ann");
  }
}

TEST_F(DeflateTest, FramesArriveCompressedAndInflateInOrderBesidePlainClients) {
  BridgeMetrics& metrics = BridgeMetrics::Get();
  const std::uint64_t frames_before = metrics.deflated_frames->Value();
  const std::uint64_t in_before = metrics.deflate_bytes_in->Value();
  const std::uint64_t out_before = metrics.deflate_bytes_out->Value();

  auto ann = JoinedWithDeflate("lobby", "ann@example.com");
  auto bob = JoinedWithDeflate("lobby", "bob@example.com");
  auto cat = Joined("lobby", "cat@example.com");  // offers nothing
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_NE(cat, nullptr);
  EXPECT_TRUE(absl::StartsWith(bob->extensions(), "permessage-deflate")) << bob->extensions();
  // The bridge compresses with a small window and asks the same of the client.
  EXPECT_TRUE(absl::StrContains(bob->extensions(), "server_max_window_bits=10"))
      << bob->extensions();
  EXPECT_EQ(cat->extensions(), "");

  constexpr int kMessages = 100;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(ann->Send(absl::StrCat("message number ", i)).ok());
  }
  for (WsTestClient* reader : {ann.get(), bob.get(), cat.get()}) {
    ExpectMessagesInOrder(*reader, kMessages);
  }
  // Two compressing readers saw every message (some in batches, so at least a frame each
  // per batch), and the repeats inside chat events compress well.
  const std::uint64_t frames = metrics.deflated_frames->Value() - frames_before;
  const std::uint64_t in = metrics.deflate_bytes_in->Value() - in_before;
  const std::uint64_t out = metrics.deflate_bytes_out->Value() - out_before;
  EXPECT_GT(frames, 0u);
  EXPECT_LT(out * 3, in) << out << " bytes written for " << in;
}

TEST_F(DeflateTest, ClientsCanSendCompressedFramesToo) {
  auto ann = JoinedWithDeflate("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  // Beast's client compresses what it sends once deflate is agreed; the bridge inflates.
  const std::string text(2000, 'a');
  ASSERT_TRUE(ann->Send(text).ok());
  auto echo = ann->ReadEvent(IsMessage(text));
  ASSERT_TRUE(echo.ok()) << echo.status();
}

class DeflateOffTest : public DeflateTest {
 protected:
  DeflateOffTest() { bridge_options_.permessage_deflate = false; }
};

TEST_F(DeflateOffTest, NothingIsAgreedAndFramesArrivePlain) {
  BridgeMetrics& metrics = BridgeMetrics::Get();
  const std::uint64_t frames_before = metrics.deflated_frames->Value();
  auto ann = JoinedWithDeflate("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  EXPECT_EQ(ann->extensions(), "");
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(ann->Send(absl::StrCat("message number ", i)).ok());
  }
  ExpectMessagesInOrder(*ann, 10);
  EXPECT_EQ(metrics.deflated_frames->Value(), frames_before);
}

}  // namespace
}  // namespace wsbridge::testing
