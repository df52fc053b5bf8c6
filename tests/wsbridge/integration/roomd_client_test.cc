// RoomdClient's shutdown waits for every stream to be destroyed, not only for its call to
// end: a stream's ClientContext holds the channel, and the channel's last reference must
// be dropped by the thread that destroys the RoomdClient, never by a gRPC callback thread
// (gRPC 1.51 then frees its callback queue under that thread: a double free at exit).

#include <future>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "roomd/grpc/server.h"
#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/roomd_link/roomd_client.h"
#include "wsbridge/roomd_link/roomd_stream_observer.h"

namespace wsbridge::testing {
namespace {

// How long a step may take before the test gives up on it (a failure, never a pace).
constexpr absl::Duration kStreamsLimit = absl::Seconds(10);

class DoneObserver : public RoomdStreamObserver {
 public:
  void OnRoomdEvents(SharedFrames, WakeBatch*) override {}
  void OnRoomdWritable() override {}
  void OnRoomdDone(const grpc::Status&) override { done_.set_value(); }

  bool WaitDone() {
    return future_.wait_for(absl::ToChronoMilliseconds(kStreamsLimit)) == std::future_status::ready;
  }

 private:
  std::promise<void> done_;
  std::future<void> future_ = done_.get_future();
};

// Parameter: --roomd_relays (0: one Chat call per browser; 2: sessions on Relay calls).
class RoomdClientTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    roomd::ServerOptions roomd_options;
    roomd_options.listen = "127.0.0.1:0";
    roomd_options.shutdown_grace = absl::Seconds(1);
    auto server = roomd::RoomServer::Start(roomd_options);
    ASSERT_TRUE(server.ok()) << server.status();
    roomd_ = *std::move(server);
    options_.roomd = roomd_->address();
    options_.roomd_relays = GetParam();
  }

  void TearDown() override {
    if (roomd_) {
      roomd_->Shutdown();
    }
  }

  BridgeOptions options_;
  const JsonCodec codec_{};
  std::unique_ptr<roomd::RoomServer> roomd_;
};

TEST_P(RoomdClientTest, StreamsCountUntilDestroyedSoTheChannelIsReleasedByItsOwner) {
  RoomdClient client(options_, &codec_);
  const long idle_references = client.channel().use_count();
  auto observer = std::make_shared<DoneObserver>();
  std::shared_ptr<RoomdStream> stream = client.StartChat(observer);
  ASSERT_NE(stream, nullptr);

  client.CancelAll();
  ASSERT_TRUE(observer->WaitDone()) << "the cancelled stream never reported its end";
  // The call is over, but the stream (and its context, which holds the channel) lives on
  // in our hands, as it does in a browser session's: shutdown must keep waiting for it.
  EXPECT_FALSE(client.WaitForStreams(absl::Milliseconds(100)));
  EXPECT_GT(client.channel().use_count(), idle_references);

  stream.reset();
  EXPECT_TRUE(client.WaitForStreams(kStreamsLimit));
  // Nothing but the client itself (its channel and stubs) still refers to the channel.
  EXPECT_EQ(client.channel().use_count(), idle_references);
}

INSTANTIATE_TEST_SUITE_P(ChatAndRelay, RoomdClientTest, ::testing::Values(0, 2),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return param.param == 0 ? "ChatCalls" : "RelayCalls";
                         });

}  // namespace
}  // namespace wsbridge::testing
