// The Redis ledger of sends (client_id -> seq per user and room): it keeps a user's last
// sends however old they are, and no more than its limits. Unary Posts to a room no node
// holds, so only Redis's ledger can answer (not a node's replica).

#include "absl/strings/str_cat.h"
#include "tests/roomd/integration/redis/two_node_fixture.h"

namespace roomd::testing {
namespace {

// Nodes whose ledger limits the test sets before SetUp starts them.
class SentLedgerTest : public TwoNodeTest {
 protected:
  ServerOptions NodeOptions(const std::string& node_id) const override {
    ServerOptions options = TwoNodeTest::NodeOptions(node_id);
    options.sent_ledger = limits_;
    return options;
  }

  // A Post of `client_id`; the response says whether it was a duplicate.
  chat::v1::PostResponse PostWithId(RoomServer& node, const std::string& client_id) {
    chat::v1::PostRequest request;
    request.set_room("ledger");
    request.set_email("ann@example.com");
    request.set_text(absl::StrCat("text of ", client_id));
    request.set_client_id(client_id);
    chat::v1::PostResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    grpc::Status status = StubFor(node)->Post(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  SentLedgerLimits limits_;
};

// keep_for 0 makes every send "old" at once, as if ten minutes had passed: a send must
// still be found while it is among its user's last keep_sends (a whole-ledger expiry
// forgot an idle user's sends).
class OldSendsTest : public SentLedgerTest {
 protected:
  OldSendsTest() {
    limits_ = {.keep_sends = 1000, .keep_for = absl::ZeroDuration(), .max_sends = 20000};
  }
};

TEST_F(OldSendsTest, AnIdleUsersLastSendsAreKeptWhateverTheirAge) {
  const chat::v1::PostResponse first = PostWithId(*a_, "ann-1");
  ASSERT_FALSE(first.duplicate());
  ASSERT_EQ(first.message().seq(), 1u);
  const chat::v1::PostResponse resent = PostWithId(*b_, "ann-1");
  EXPECT_TRUE(resent.duplicate());
  EXPECT_EQ(resent.message().seq(), 1u);
  EXPECT_EQ(resent.message().text(), "text of ann-1");
}

// max_sends bounds a user's ledger whatever its age: the oldest send goes first.
class BoundedLedgerTest : public SentLedgerTest {
 protected:
  BoundedLedgerTest() {
    limits_ = {.keep_sends = 3, .keep_for = absl::ZeroDuration(), .max_sends = 3};
  }
};

TEST_F(BoundedLedgerTest, OnlyTheLastSendsWithinTheLimitAreKept) {
  for (int i = 1; i <= 4; ++i) {
    ASSERT_EQ(PostWithId(*a_, absl::StrCat("ann-", i)).message().seq(), static_cast<uint64_t>(i));
  }
  const chat::v1::PostResponse kept = PostWithId(*b_, "ann-2");
  EXPECT_TRUE(kept.duplicate());
  EXPECT_EQ(kept.message().seq(), 2u);
  const chat::v1::PostResponse forgotten = PostWithId(*b_, "ann-1");
  EXPECT_FALSE(forgotten.duplicate());
  EXPECT_EQ(forgotten.message().seq(), 5u);
}

}  // namespace
}  // namespace roomd::testing
