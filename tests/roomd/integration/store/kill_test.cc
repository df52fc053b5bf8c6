// roomd --store=sqlite killed with SIGKILL in the middle of a burst: after a restart every
// seq any client saw (an acknowledged, hence committed, message) is in the history exactly
// once, the history has no gap, and seq goes on from the last stored message. roomd runs
// as a child process so that it dies as it would in production.

#include <signal.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/child_process.h"
#include "tests/support/roomd_fixture.h"
#include "tests/support/temp_dir.h"

namespace roomd::testing {
namespace {

using chat::testing::ChildProcess;
using chat::testing::ListeningChild;
using chat::testing::StartListening;
using chat::v1::ServerEvent;

constexpr int kSenders = 4;
constexpr int kMessagesEach = 20000;  // far more than get through before the kill
// Sends each sender has in flight at most, as a real client keeps its backlog bounded: a
// sender that never waited would flood the room past every member's outbound limit and be
// dropped as a slow consumer, however fast roomd commits.
constexpr int kWindow = 64;

absl::StatusOr<ListeningChild> StartRoomd(const std::string& db, const std::string& fsync) {
  return StartListening({ROOMD_BINARY, "--listen=127.0.0.1:0", "--store=sqlite:" + db,
                         "--fsync=" + fsync, "--rate=1000000", "--rate_burst=1000000"},
                        "listening on 127.0.0.1:");
}

void KillMidBurstAndCheck(const std::string& fsync) {
  chat::testing::TempDir dir;
  const std::string db = dir.File("history.db");
  absl::StatusOr<ListeningChild> roomd = StartRoomd(db, fsync);
  ASSERT_TRUE(roomd.ok()) << roomd.status();
  const std::string address = absl::StrCat("127.0.0.1:", roomd->port);

  std::vector<std::unique_ptr<ChatTestClient>> clients;
  for (int i = 0; i < kSenders; ++i) {
    clients.push_back(JoinedClient(address, "burst", absl::StrCat("s", i, "@example.com")));
  }
  // The watcher only reads; each sender's own client waits for its echoes.
  clients.push_back(JoinedClient(address, "burst", "watcher@example.com"));
  ChatTestClient& watcher = *clients.back();
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([&, i] {
      ChatTestClient& client = *clients[i];
      for (int n = 0; n < kMessagesEach && !stop.load(); ++n) {
        if (n >= kWindow) {
          const std::string acked = absl::StrCat("s", i, "-", n - kWindow);
          if (!client.WaitFor([&](const ServerEvent& event) {
                return event.has_message() && event.message().client_id() == acked;
              })) {
            return;  // the server is gone
          }
        }
        if (!client.Send(absl::StrCat("m", n), absl::StrCat("s", i, "-", n))) {
          return;
        }
      }
    });
  }
  // Kill once the burst is well under way: the watcher saw a few hundred messages.
  std::optional<ServerEvent> under_way = watcher.WaitFor(
      [](const ServerEvent& event) { return event.has_message() && event.message().seq() >= 500; },
      absl::Seconds(60));
  ASSERT_TRUE(under_way) << roomd->process->Output();
  roomd->process->Kill(SIGKILL);
  stop.store(true);
  for (std::thread& sender : senders) {
    sender.join();
  }
  // Every seq a client was sent before the kill was acknowledged.
  std::map<uint64_t, std::string> acknowledged;  // seq -> client_id
  for (auto& client : clients) {
    client->WaitForFinish(absl::Seconds(20));
    for (const ServerEvent& event : client->events()) {
      if (event.has_message()) {
        acknowledged[event.message().seq()] = event.message().client_id();
      }
    }
  }
  clients.clear();
  ASSERT_FALSE(acknowledged.empty());

  absl::StatusOr<ListeningChild> again = StartRoomd(db, fsync);
  ASSERT_TRUE(again.ok()) << again.status();
  auto stub = chat::v1::ChatService::NewStub(
      OwnChannel(absl::StrCat("127.0.0.1:", again->port)));
  std::map<uint64_t, int> stored;  // seq -> times seen
  std::map<uint64_t, std::string> client_ids;
  uint64_t after = 0;
  uint64_t last_seq = 0;
  for (int pages = 0; pages < 10000; ++pages) {
    chat::v1::GetHistoryRequest request;
    request.set_room("burst");
    request.set_after_seq(after);
    request.set_limit(1000);
    chat::v1::GetHistoryResponse page;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    grpc::Status status = stub->GetHistory(&context, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    last_seq = page.last_seq();
    if (page.messages_size() == 0) {
      break;
    }
    for (const auto& message : page.messages()) {
      ++stored[message.seq()];
      client_ids[message.seq()] = message.client_id();
      after = message.seq();
    }
  }
  for (const auto& [seq, client_id] : acknowledged) {
    ASSERT_EQ(stored[seq], 1) << "acknowledged seq " << seq << " stored " << stored[seq]
                              << " times";
    EXPECT_EQ(client_ids[seq], client_id) << "seq " << seq;
  }
  ASSERT_EQ(stored.size(), last_seq);  // 1..last_seq, each once: no gap, no duplicate
  EXPECT_EQ(stored.rbegin()->first, last_seq);
  EXPECT_GE(last_seq, acknowledged.rbegin()->first);

  // The numbering goes on.
  chat::v1::PostResponse response;
  grpc::Status posted = PostText(*stub, "burst", "late@example.com", "after the crash", &response);
  ASSERT_TRUE(posted.ok()) << posted.error_message();
  EXPECT_EQ(response.message().seq(), last_seq + 1);
  again->process->Kill(SIGTERM);
}

TEST(StoreKillTest, EveryAcknowledgedSeqSurvivesSigkillExactlyOnce) {
  KillMidBurstAndCheck("interval");
}

TEST(StoreKillTest, EveryAcknowledgedSeqSurvivesSigkillWithFsyncAlways) {
  KillMidBurstAndCheck("always");
}

}  // namespace
}  // namespace roomd::testing
