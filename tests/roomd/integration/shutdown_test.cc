// Shutdown ends every stream UNAVAILABLE "server shutting down", readers or not.

#include <thread>

#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

TEST_F(RoomdTest, ShutdownEndsStreamsUnavailable) {
  ServerOptions options = TestOptions();
  options.max_text_bytes = 64 << 10;
  options.max_outbound_bytes = 32 << 20;
  StartServer(options);
  auto alice = JoinAs("lobby", "alice@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  auto unjoined = Connect();
  auto stuck = Connect(/*read=*/false);
  ASSERT_TRUE(stuck->Join("lobby", "stuck@example.com"));
  ASSERT_TRUE(alice->WaitFor(IsJoined("stuck")));
  // Far more than the transport's windows hold: the stuck client's write cannot complete.
  for (int i = 0; i < 100; ++i) {
    Post("lobby", "bot@example.com", std::string(64 << 10, 'x'));
  }
  ASSERT_TRUE(server_->WaitForSessionsAtMost(4, absl::Seconds(20)));

  server_->Shutdown();
  stuck->StartReading();
  for (ChatTestClient* client : {alice.get(), bob.get(), unjoined.get(), stuck.get()}) {
    const grpc::Status status = client->WaitForFinish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_EQ(status.error_message(), "server shutting down");
  }
  EXPECT_EQ(server_->session_count(), 0u);
}

}  // namespace
}  // namespace roomd::testing
