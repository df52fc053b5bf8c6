#include "roomd/core/room.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "roomd/core/identity.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "tests/roomd/unit/core/drain_events.h"
#include "tests/roomd/unit/core/fake_subscriber.h"
#include "tests/roomd/unit/core/test_user.h"

namespace roomd {
namespace {

using chat::v1::ServerEvent;

using roomd::testing::FakeSubscriber;

using roomd::testing::UserFor;

class RoomTest : public ::testing::Test {
 protected:
  RoomTest() { options_.typing_timeout = absl::Milliseconds(20); }

  std::shared_ptr<Room> MakeRoom() { return std::make_shared<Room>("lobby", options_, &timer_); }

  ServerEvent Join(Room& room, uint64_t conn, FakeSubscriber* sub, const std::string& email,
                   uint64_t after_seq = 0) {
    ServerEvent welcome;
    Notifications notes;
    const absl::Status status = room.Join(conn, sub, UserFor(email), after_seq, &welcome, &notes);
    EXPECT_TRUE(status.ok()) << status;
    return welcome;
  }

  uint64_t Post(Room& room, const std::string& email, const std::string& text,
                uint64_t origin = 0) {
    Notifications notes;
    absl::StatusOr<chat::v1::ChatMessage> message =
        room.Post(UserFor(email), text, absl::StrCat("cid-", ++client_ids_), origin, &notes);
    EXPECT_TRUE(message.ok()) << message.status();
    return message.ok() ? message->seq() : 0;
  }

  std::vector<ServerEvent> Drain(Room& room, uint64_t conn, bool register_if_idle = false) {
    return roomd::testing::DrainEvents(room, conn, register_if_idle);
  }

  ServerOptions options_;
  Timer timer_;
  int client_ids_ = 0;
};

TEST_F(RoomTest, JoinerGetsWelcomeOthersGetPresence) {
  auto room = MakeRoom();
  FakeSubscriber a, b;
  ServerEvent welcome_a = Join(*room, 1, &a, "alice@example.com");
  ASSERT_TRUE(welcome_a.has_welcome());
  EXPECT_EQ(welcome_a.welcome().self().name(), "alice");
  EXPECT_EQ(welcome_a.welcome().room(), "lobby");
  ASSERT_EQ(welcome_a.welcome().online_size(), 1);

  ServerEvent welcome_b = Join(*room, 2, &b, "bob@example.com");
  ASSERT_EQ(welcome_b.welcome().online_size(), 2);  // self included, join order
  EXPECT_EQ(welcome_b.welcome().online(0).name(), "alice");
  EXPECT_EQ(welcome_b.welcome().online(1).name(), "bob");

  std::vector<ServerEvent> seen_by_a = Drain(*room, 1);
  ASSERT_EQ(seen_by_a.size(), 1u);
  EXPECT_EQ(seen_by_a[0].presence().joined().name(), "bob");
  EXPECT_EQ(seen_by_a[0].presence().online_count(), 2u);
  EXPECT_TRUE(Drain(*room, 2).empty());  // the joiner does not see its own join
}

TEST_F(RoomTest, PresenceCountsConnections) {
  auto room = MakeRoom();
  FakeSubscriber observer, tab1, tab2;
  Join(*room, 1, &observer, "olga@example.com");
  Join(*room, 2, &tab1, "alice@example.com");
  ServerEvent second = Join(*room, 3, &tab2, "ALICE@example.com ");
  EXPECT_EQ(second.welcome().online_size(), 2);  // one user, two connections

  std::vector<ServerEvent> events = Drain(*room, 1);
  ASSERT_EQ(events.size(), 1u);  // one joined, not two
  EXPECT_EQ(events[0].presence().online_count(), 2u);
  EXPECT_EQ(room->Online().size(), 2u);

  Notifications notes;
  room->Leave(2, &notes);
  EXPECT_TRUE(Drain(*room, 1).empty());  // alice is still online in the other tab
  EXPECT_EQ(room->Info().online_count(), 2u);
  room->Leave(3, &notes);
  events = Drain(*room, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].presence().left().name(), "alice");
  EXPECT_EQ(events[0].presence().online_count(), 1u);
  EXPECT_EQ(room->Info().online_count(), 1u);
}

// The room shares the User its first connection brought (online list, name index): it must
// outlive that connection while another of the same user stays, and go with the last.
TEST_F(RoomTest, TheSharedUserOutlivesItsFirstConnectionButNotTheLast) {
  auto room = MakeRoom();
  FakeSubscriber observer, tab1, tab2;
  Join(*room, 1, &observer, "olga@example.com");
  UserRef first = MakeUserRef(UserFor("alice@example.com"));
  const std::weak_ptr<const chat::v1::User> watch = first;
  ServerEvent welcome;
  Notifications notes;
  ASSERT_TRUE(room->Join(2, &tab1, std::move(first), 0, &welcome, &notes).ok());
  ASSERT_TRUE(room->Join(3, &tab2, MakeUserRef(UserFor("alice@example.com")), 0, &welcome,
                         &notes).ok());
  Drain(*room, 1);

  room->Leave(2, &notes);
  EXPECT_FALSE(watch.expired());  // the online list still shows alice
  std::vector<chat::v1::User> online = room->Online();
  ASSERT_EQ(online.size(), 2u);
  EXPECT_EQ(online[1].avatar_url(), UserFor("alice@example.com").avatar_url());
  absl::StatusOr<chat::v1::GetPresenceResponse> page = room->PresencePage(1, "");
  ASSERT_TRUE(page.ok());
  page = room->PresencePage(1, page->next_page_token());
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->online_size(), 1);
  EXPECT_EQ(page->online(0).name(), "olga");

  room->Leave(3, &notes);
  EXPECT_TRUE(watch.expired());
  std::vector<ServerEvent> events = Drain(*room, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].presence().left().id(), UserFor("alice@example.com").id());
  EXPECT_EQ(events[0].presence().left().avatar_url(), UserFor("alice@example.com").avatar_url());
  EXPECT_EQ(room->Online().size(), 1u);
}

TEST_F(RoomTest, SeqIsPerRoomStrictlyIncreasingAndEveryoneSeesIt) {
  auto room = MakeRoom();
  FakeSubscriber a, b;
  Join(*room, 1, &a, "alice@example.com");
  Join(*room, 2, &b, "bob@example.com");
  Drain(*room, 1);
  for (uint64_t i = 1; i <= 5; ++i) {
    EXPECT_EQ(Post(*room, i % 2 ? "alice@example.com" : "bob@example.com", "m", i % 2 ? 1 : 2),
              i);
  }
  for (uint64_t conn : {1, 2}) {
    std::vector<ServerEvent> events = Drain(*room, conn);
    ASSERT_EQ(events.size(), 5u);
    for (uint64_t i = 0; i < 5; ++i) {
      EXPECT_EQ(events[i].message().seq(), i + 1);  // the sender sees its own, too
      EXPECT_EQ(events[i].message().client_id(), absl::StrCat("cid-", i + 1));
      EXPECT_TRUE(events[i].message().has_sent_at());
    }
  }
  EXPECT_EQ(room->Info().last_seq(), 5u);
}

TEST_F(RoomTest, HistoryRingKeepsTheLatestMessages) {
  options_.history_size = 3;
  auto room = MakeRoom();
  for (int i = 0; i < 5; ++i) {
    Post(*room, "bot@example.com", "m");
  }
  auto seqs = [](const chat::v1::GetHistoryResponse& history) {
    std::vector<uint64_t> result;
    for (const auto& message : history.messages()) {
      result.push_back(message.seq());
    }
    return result;
  };
  EXPECT_EQ(seqs(room->History(0, 0)), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(seqs(room->History(3, 0)), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(seqs(room->History(0, 2)), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(seqs(room->History(5, 0)), std::vector<uint64_t>{});
  EXPECT_EQ(room->History(0, 0).last_seq(), 5u);
  // Backward pages (before_seq) keep the newest of the matching messages.
  EXPECT_EQ(seqs(room->History(0, 2, 5)), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(seqs(room->History(0, 1, 5)), (std::vector<uint64_t>{4}));
  EXPECT_EQ(seqs(room->History(0, 0, ~uint64_t{0})), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(seqs(room->History(3, 0, 5)), (std::vector<uint64_t>{4}));
  EXPECT_EQ(seqs(room->History(0, 10, 3)), std::vector<uint64_t>{});

  FakeSubscriber a, b, c;
  ServerEvent welcome = Join(*room, 1, &a, "alice@example.com");
  ASSERT_EQ(welcome.welcome().history_size(), 3);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 3u);
  EXPECT_EQ(welcome.welcome().last_seq(), 5u);
  welcome = Join(*room, 2, &b, "bob@example.com", /*after_seq=*/4);
  ASSERT_EQ(welcome.welcome().history_size(), 1);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 5u);
  // A seq from beyond the room's last (the server restarted) resumes from the start.
  welcome = Join(*room, 3, &c, "carol@example.com", /*after_seq=*/99);
  EXPECT_EQ(welcome.welcome().history_size(), 3);
}

TEST_F(RoomTest, WelcomeHistoryAndLiveEventsHaveNoGapAndNoOverlap) {
  auto room = MakeRoom();
  FakeSubscriber a;
  Post(*room, "bot@example.com", "one");
  Post(*room, "bot@example.com", "two");
  ServerEvent welcome = Join(*room, 1, &a, "alice@example.com");
  ASSERT_EQ(welcome.welcome().history_size(), 2);
  Post(*room, "bot@example.com", "three");
  std::vector<ServerEvent> live = Drain(*room, 1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].message().seq(), 3u);
}

TEST_F(RoomTest, OnlyIdleRegisteredMembersAreWoken) {
  auto room = MakeRoom();
  FakeSubscriber idle, busy;
  Join(*room, 1, &idle, "alice@example.com");
  Join(*room, 2, &busy, "bob@example.com");
  Drain(*room, 1, /*register_if_idle=*/true);  // caught up and waiting
  Drain(*room, 2, /*register_if_idle=*/false);  // "has a write in flight"
  Post(*room, "bot@example.com", "m1");
  Post(*room, "bot@example.com", "m2");
  EXPECT_EQ(idle.wakes(), 1);  // woken once, not once per message
  EXPECT_EQ(busy.wakes(), 0);
  EXPECT_EQ(Drain(*room, 1).size(), 2u);
  EXPECT_EQ(Drain(*room, 2).size(), 2u);
  EXPECT_EQ(idle.refs(), 0);  // notification refs are released
}

TEST_F(RoomTest, CollectRespectsTheBatchCaps) {
  auto room = MakeRoom();
  FakeSubscriber a;
  Join(*room, 1, &a, "alice@example.com");
  for (int i = 0; i < 10; ++i) {
    Post(*room, "bot@example.com", std::string(100, 'x'));
  }
  std::vector<grpc::Slice> slices;
  Notifications notes;
  EXPECT_EQ(room->Collect(1, 4, 1 << 20, false, &slices, &notes), Room::CollectResult::kEvents);
  EXPECT_EQ(slices.size(), 4u);
  slices.clear();
  EXPECT_EQ(room->Collect(1, 100, 1, false, &slices, &notes), Room::CollectResult::kEvents);
  EXPECT_EQ(slices.size(), 1u);  // always at least one event
  slices.clear();
  EXPECT_EQ(room->Collect(1, 100, 1 << 20, false, &slices, &notes), Room::CollectResult::kEvents);
  EXPECT_EQ(slices.size(), 5u);
  EXPECT_EQ(room->Collect(1, 100, 1 << 20, false, &slices, &notes), Room::CollectResult::kIdle);
  EXPECT_EQ(room->Collect(99, 100, 1 << 20, false, &slices, &notes), Room::CollectResult::kGone);
}

TEST_F(RoomTest, TypingGoesToOthersAndExpiresByItself) {
  auto room = MakeRoom();
  FakeSubscriber a, b;
  Join(*room, 1, &a, "alice@example.com");
  Join(*room, 2, &b, "bob@example.com");
  Drain(*room, 1);
  {
    Notifications notes;
    room->SetTyping(1, true, &notes);
    room->SetTyping(1, true, &notes);  // a refresh is not re-broadcast
  }
  EXPECT_TRUE(Drain(*room, 1, /*register_if_idle=*/true).empty());
  std::vector<ServerEvent> events = Drain(*room, 2, /*register_if_idle=*/true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].typing().active());
  EXPECT_EQ(events[0].typing().user().name(), "alice");

  ASSERT_TRUE(b.WaitForWakes(1));  // the timer thread appends the expiry
  events = Drain(*room, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].typing().active());
  EXPECT_TRUE(Drain(*room, 1).empty());
}

TEST_F(RoomTest, SendingEndsTyping) {
  auto room = MakeRoom();
  FakeSubscriber a, b;
  Join(*room, 1, &a, "alice@example.com");
  Join(*room, 2, &b, "bob@example.com");
  Drain(*room, 1);
  {
    Notifications notes;
    room->SetTyping(1, true, &notes);
  }
  Post(*room, "alice@example.com", "done typing", /*origin=*/1);
  std::vector<ServerEvent> events = Drain(*room, 2);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].typing().active());
  EXPECT_FALSE(events[1].typing().active());
  EXPECT_EQ(events[2].message().text(), "done typing");
}

TEST_F(RoomTest, SlowConsumerIsDroppedAloneAndTheLogStaysBounded) {
  options_.max_outbound_bytes = 16 << 10;
  auto room = MakeRoom();
  FakeSubscriber reader, laggard;
  Join(*room, 1, &reader, "reader@example.com");
  Join(*room, 2, &laggard, "laggard@example.com");
  Drain(*room, 1);
  const std::string text(1000, 'x');
  std::vector<ServerEvent> received;
  for (int i = 0; i < 100; ++i) {
    Post(*room, "bot@example.com", text);
    for (ServerEvent& event : Drain(*room, 1)) {
      received.push_back(std::move(event));
    }
    // The log never holds much more than the limit plus the trim slack.
    EXPECT_LE(room->LogEntriesForTest(), 16u + 4u + 2u);
    EXPECT_LE(room->BacklogBytesForTest(2), (16u << 10) + (4u << 10) + 2000u);
  }
  EXPECT_EQ(laggard.dropped().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(laggard.dropped().message(), "slow consumer");
  EXPECT_TRUE(reader.dropped().ok());
  EXPECT_EQ(room->connection_count(), 1u);

  uint64_t next_seq = 1;
  bool saw_left = false;
  for (const ServerEvent& event : received) {
    if (event.has_message()) {
      EXPECT_EQ(event.message().seq(), next_seq++);
    } else if (event.presence().has_left()) {
      EXPECT_EQ(event.presence().left().name(), "laggard");
      saw_left = true;
    }
  }
  EXPECT_EQ(next_seq, 101u);  // every message, in order
  EXPECT_TRUE(saw_left);
}

TEST_F(RoomTest, FullRoomRefusesJoin) {
  options_.max_connections_per_room = 2;
  auto room = MakeRoom();
  FakeSubscriber a, b, c;
  Join(*room, 1, &a, "alice@example.com");
  Join(*room, 2, &b, "alice@example.com");
  ServerEvent welcome;
  Notifications notes;
  const absl::Status status =
      room->Join(3, &c, UserFor("carol@example.com"), 0, &welcome, &notes);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(status.message().find("full"), absl::string_view::npos);
}

TEST_F(RoomTest, ClosedRoomRefusesJoinAndPost) {
  auto room = MakeRoom();
  FakeSubscriber a;
  Join(*room, 1, &a, "alice@example.com");
  EXPECT_FALSE(room->CloseIfEmpty());
  Notifications notes;
  room->Leave(1, &notes);
  EXPECT_EQ(room->LogEntriesForTest(), 0u);  // nobody reads the log any more
  EXPECT_TRUE(room->CloseIfEmpty());
  ServerEvent welcome;
  EXPECT_TRUE(absl::IsAborted(room->Join(2, &a, UserFor("a@b.c"), 0, &welcome, &notes)));
  EXPECT_TRUE(absl::IsAborted(room->Post(UserFor("a@b.c"), "x", "", 0, &notes).status()));
}

TEST_F(RoomTest, AResentClientIdGetsTheOriginalAndPostsNothing) {
  auto room = MakeRoom();
  FakeSubscriber alice;
  Join(*room, 1, &alice, "alice@example.com");
  Notifications notes;
  bool duplicate = false;
  auto first = room->Post(UserFor("alice@example.com"), "once", "c-1", 1, &notes, &duplicate);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(duplicate);
  auto again = room->Post(UserFor("alice@example.com"), "once", "c-1", 1, &notes, &duplicate);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(duplicate);
  EXPECT_EQ(again->seq(), first->seq());
  EXPECT_EQ(again->sent_at().nanos(), first->sent_at().nanos());
  EXPECT_EQ(room->last_seq(), 1u);
  // Another user's c-1 is another message.
  duplicate = false;
  auto bob = room->Post(UserFor("bob@example.com"), "mine", "c-1", 0, &notes, &duplicate);
  ASSERT_TRUE(bob.ok());
  EXPECT_FALSE(duplicate);
  EXPECT_EQ(bob->seq(), 2u);
  EXPECT_EQ(room->History(0, 0).messages_size(), 2);
}

TEST_F(RoomTest, WelcomeNamesTheEpochAndAForeignEpochResetsHistory) {
  auto room = MakeRoom();
  for (int i = 0; i < 3; ++i) {
    Post(*room, "bot@example.com", absl::StrCat("m", i));
  }
  FakeSubscriber a;
  FakeSubscriber b;
  FakeSubscriber c;
  ServerEvent first = Join(*room, 1, &a, "a@example.com");
  const std::string epoch = first.welcome().epoch();
  EXPECT_EQ(epoch.size(), 16u);
  EXPECT_FALSE(first.welcome().history_reset());
  EXPECT_NE(MakeRoom()->epoch(), epoch) << "each new room is a new numbering";

  // The same epoch: a resume after seq 2.
  ServerEvent welcome;
  Notifications notes;
  ASSERT_TRUE(room->Join(2, &b, UserFor("b@example.com"), 2, &welcome, &notes, epoch).ok());
  EXPECT_FALSE(welcome.welcome().history_reset());
  ASSERT_EQ(welcome.welcome().history_size(), 1);
  EXPECT_EQ(welcome.welcome().history(0).seq(), 3u);

  // Another epoch: its seq 2 means nothing here; the latest history, and a reset.
  welcome.Clear();
  ASSERT_TRUE(room->Join(3, &c, UserFor("c@example.com"), 2, &welcome, &notes, "0123").ok());
  EXPECT_TRUE(welcome.welcome().history_reset());
  EXPECT_EQ(welcome.welcome().history_size(), 3);
  EXPECT_EQ(welcome.welcome().epoch(), epoch);
}

}  // namespace
}  // namespace roomd
