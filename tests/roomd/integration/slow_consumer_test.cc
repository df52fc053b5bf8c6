// A client that never reads is cut off with RESOURCE_EXHAUSTED "slow consumer" while the
// others keep receiving every message in order.

#include "absl/strings/str_cat.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

using chat::v1::ServerEvent;

TEST_F(RoomdTest, ClientThatNeverReadsIsCutOffAndOthersGetEverything) {
  ServerOptions options = TestOptions();
  options.max_outbound_bytes = 64 << 10;
  options.max_batch_bytes = 16 << 10;
  StartServer(options);

  auto alice = JoinAs("lobby", "alice@example.com");
  auto bob = JoinAs("lobby", "bob@example.com");
  auto stuck = Connect(/*read=*/false);
  ASSERT_TRUE(stuck->Join("lobby", "stuck@example.com"));
  ASSERT_TRUE(alice->WaitFor(IsJoined("stuck")));
  ASSERT_TRUE(bob->WaitFor(IsJoined("stuck")));

  // Post in rounds until the room drops the stuck client. The readers keep up (each round
  // waits for them), so only the stuck client's backlog grows; bounded, since the transport
  // windows plus the limit are far below this many bytes.
  const std::string text(2000, 'x');
  constexpr int kMaxPosts = 4000;
  constexpr int kRound = 10;
  int posted = 0;
  bool dropped = false;
  while (posted < kMaxPosts && !dropped) {
    std::string last;
    for (int i = 0; i < kRound; ++i) {
      last = absl::StrCat(text, posted++);
      Post("lobby", "bot@example.com", last);
    }
    ASSERT_TRUE(alice->WaitFor(IsMessage(last))) << "alice fell behind at " << posted;
    ASSERT_TRUE(bob->WaitFor(IsMessage(last))) << "bob fell behind at " << posted;
    for (const ServerEvent& event : alice->events()) {
      dropped = dropped || IsLeft("stuck")(event);
    }
  }
  ASSERT_TRUE(dropped) << "the stuck client was never dropped after " << posted << " posts";
  Post("lobby", "bot@example.com", "after the drop");
  ++posted;

  for (ChatTestClient* client : {alice.get(), bob.get()}) {
    ASSERT_TRUE(client->WaitFor(IsMessage("after the drop")));
    uint64_t next_seq = 1;
    for (const ServerEvent& event : client->events()) {
      if (event.has_message()) {
        ASSERT_EQ(event.message().seq(), next_seq++);
      }
    }
    EXPECT_EQ(next_seq, static_cast<uint64_t>(posted) + 1);  // every message, in order
  }

  // Its resources are released although its write never completed...
  ASSERT_TRUE(server_->WaitForSessionsAtMost(2, absl::Seconds(20)));
  // ...and when it finally reads, it learns why.
  stuck->StartReading();
  const grpc::Status status = stuck->WaitForFinish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(status.error_message(), "slow consumer");
}

}  // namespace
}  // namespace roomd::testing
