// A relay's feed: one cursor for all the relay's sessions in a room (Room::FeedKey).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "roomd/core/event_codec.h"
#include "roomd/core/room.h"
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

// One item a feed collected, decoded.
struct Item {
  std::vector<uint64_t> sessions;
  std::vector<ServerEvent> events;
};

class RoomFeedTest : public ::testing::Test {
 protected:
  std::shared_ptr<Room> MakeRoom() { return std::make_shared<Room>("lobby", options_, &timer_); }

  // Joins `conn` through `reader`'s feed as relay session `session`.
  void JoinFed(Room& room, uint64_t conn, FakeSubscriber* sub, FakeSubscriber* reader,
               uint64_t session, const std::string& email) {
    ServerEvent welcome;
    Notifications notes;
    bool fed = false;
    const absl::Status status = room.Join(conn, sub, UserFor(email), 0, &welcome, &notes, "",
                                          Room::FeedKey{reader, session}, &fed);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_TRUE(fed);
    EXPECT_FALSE(welcome.has_welcome());  // the feed carries it
  }

  void JoinOwn(Room& room, uint64_t conn, FakeSubscriber* sub, const std::string& email) {
    ServerEvent welcome;
    Notifications notes;
    ASSERT_TRUE(room.Join(conn, sub, UserFor(email), 0, &welcome, &notes).ok());
    EXPECT_TRUE(welcome.has_welcome());
  }

  // Ann (conn 1) and Ben (2) read through `reader`'s feed; Cat (3) reads for herself.
  void JoinTwoFedAndOneOwn(Room& room, FakeSubscriber* reader, FakeSubscriber* ann,
                           FakeSubscriber* ben, FakeSubscriber* cat) {
    JoinFed(room, 1, ann, reader, 11, "ann@example.com");
    JoinFed(room, 2, ben, reader, 12, "ben@example.com");
    JoinOwn(room, 3, cat, "cat@example.com");
  }

  void Post(Room& room, const std::string& text) {
    Notifications notes;
    ASSERT_TRUE(
        room.Post(UserFor("bot@example.com"), text, absl::StrCat("c", ++ids_), 0, &notes).ok());
  }

  // Everything the feed has, item by item; `result` gets the last collect's answer.
  std::vector<Item> Collect(Room& room, FakeSubscriber* reader,
                            Room::CollectResult* result = nullptr) {
    std::vector<Item> items;
    Notifications notes;
    for (;;) {
      std::vector<Room::FeedItem> collected;
      const Room::CollectResult answer = room.CollectFeed(reader, 1000, 1 << 30, &collected, &notes);
      if (result != nullptr) {
        *result = answer;
      }
      for (Room::FeedItem& one : collected) {
        Item item{one.sessions, {}};
        for (const grpc::Slice& slice : one.events) {
          ServerEvent event;
          EXPECT_TRUE(event.ParseFromArray(slice.begin(), static_cast<int>(slice.size())));
          item.events.push_back(event);
        }
        items.push_back(std::move(item));
      }
      if (answer != Room::CollectResult::kEvents) {
        return items;
      }
    }
  }

  ServerOptions options_;
  Timer timer_;
  int ids_ = 0;
};

TEST_F(RoomFeedTest, EachEventIsCollectedOnceForAllTheFeedsSessions) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b, own;
  JoinTwoFedAndOneOwn(*room, &reader, &a, &b, &own);
  Collect(*room, &reader);  // the Welcomes and presence so far
  roomd::testing::DrainEvents(*room, 3);

  Post(*room, "one");
  Post(*room, "two");
  std::vector<Item> items = Collect(*room, &reader);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].sessions, (std::vector<uint64_t>{11, 12}));
  ASSERT_EQ(items[0].events.size(), 2u);
  EXPECT_EQ(items[0].events[0].message().text(), "one");
  EXPECT_EQ(items[0].events[1].message().text(), "two");

  // A member with a cursor of its own sees the same events and no fed member's Welcome.
  std::vector<ServerEvent> own_events = roomd::testing::DrainEvents(*room, 3);
  ASSERT_EQ(own_events.size(), 2u);
  EXPECT_EQ(own_events[1].message().text(), "two");
  EXPECT_EQ(room->connection_count(), 3u);  // the feed is no connection
}

TEST_F(RoomFeedTest, ALateJoinerGetsItsWelcomeThenOnlyWhatFollowsIt) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b;
  JoinFed(*room, 1, &a, &reader, 11, "ann@example.com");
  std::vector<Item> first = Collect(*room, &reader);
  ASSERT_EQ(first.size(), 1u);  // ann's own presence is not for her
  EXPECT_EQ(first[0].sessions, (std::vector<uint64_t>{11}));
  ASSERT_EQ(first[0].events.size(), 1u);
  EXPECT_EQ(first[0].events[0].welcome().self().name(), "ann");

  // The feed is behind when ben joins: what came before his join is not his.
  Post(*room, "before ben");
  JoinFed(*room, 2, &b, &reader, 12, "ben@example.com");
  Post(*room, "after ben");
  std::vector<Item> items = Collect(*room, &reader);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].sessions, (std::vector<uint64_t>{11}));
  ASSERT_EQ(items[0].events.size(), 2u);
  EXPECT_EQ(items[0].events[0].message().text(), "before ben");
  EXPECT_EQ(items[0].events[1].presence().joined().name(), "ben");
  EXPECT_EQ(items[1].sessions, (std::vector<uint64_t>{12}));
  ASSERT_EQ(items[1].events.size(), 1u);
  EXPECT_EQ(items[1].events[0].welcome().self().name(), "ben");
  ASSERT_EQ(items[1].events[0].welcome().history_size(), 1);  // "before ben", in history
  EXPECT_EQ(items[2].sessions, (std::vector<uint64_t>{11, 12}));
  ASSERT_EQ(items[2].events.size(), 1u);
  EXPECT_EQ(items[2].events[0].message().text(), "after ben");
}

TEST_F(RoomFeedTest, TypingAndPrivateEventsReachOnlyTheirSessions) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b;
  JoinFed(*room, 1, &a, &reader, 11, "ann@example.com");
  JoinFed(*room, 2, &b, &reader, 12, "ben@example.com");
  Collect(*room, &reader);
  {
    Notifications notes;
    room->SetTyping(1, true, &notes);
  }
  ServerEvent error;
  error.mutable_error()->set_code("INVALID_ARGUMENT");
  {
    Notifications notes;
    EXPECT_TRUE(room->SendToFed(2, SerializeToSlice(error), &notes));
    EXPECT_FALSE(room->SendToFed(99, SerializeToSlice(error), &notes));  // not a member
  }
  Post(*room, "all");
  std::vector<Item> items = Collect(*room, &reader);
  // ben gets ann's typing and his error in one item, then both get the message.
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].sessions, (std::vector<uint64_t>{12}));
  ASSERT_EQ(items[0].events.size(), 2u);
  EXPECT_TRUE(items[0].events[0].typing().active());
  EXPECT_EQ(items[0].events[1].error().code(), "INVALID_ARGUMENT");
  EXPECT_EQ(items[1].sessions, (std::vector<uint64_t>{11, 12}));
}

TEST_F(RoomFeedTest, AnIdleFeedIsWokenByAppendsForItAndNoOthers) {
  auto room = MakeRoom();
  FakeSubscriber reader_a, reader_b, a, b;
  JoinFed(*room, 1, &a, &reader_a, 11, "ann@example.com");
  EXPECT_EQ(reader_a.wakes(), 1);  // a new feed is woken for the Welcome
  JoinFed(*room, 2, &b, &reader_b, 21, "ben@example.com");
  EXPECT_EQ(reader_b.wakes(), 1);
  Room::CollectResult result;
  Collect(*room, &reader_a, &result);
  EXPECT_EQ(result, Room::CollectResult::kIdle);
  Collect(*room, &reader_b, &result);
  EXPECT_EQ(result, Room::CollectResult::kIdle);
  const int woken_a = reader_a.wakes();
  const int woken_b = reader_b.wakes();

  ServerEvent error;
  error.mutable_error()->set_code("INVALID_ARGUMENT");
  {
    Notifications notes;
    ASSERT_TRUE(room->SendToFed(2, SerializeToSlice(error), &notes));
  }
  EXPECT_EQ(reader_a.wakes(), woken_a);  // a private event of another feed's session
  EXPECT_EQ(reader_b.wakes(), woken_b + 1);
  Collect(*room, &reader_b);
  Post(*room, "all");
  EXPECT_EQ(reader_a.wakes(), woken_a + 1);
  EXPECT_EQ(reader_b.wakes(), woken_b + 2);
}

// An idle room keeps none of what every reader has read (a join storm's Welcomes would
// otherwise stay until the trim slack fills), and nothing a reader still needs.
TEST_F(RoomFeedTest, EntriesEveryReaderReadAreDroppedAndNoOthers) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b, own;
  JoinTwoFedAndOneOwn(*room, &reader, &a, &b, &own);
  Collect(*room, &reader);
  roomd::testing::DrainEvents(*room, 3, /*register_if_idle=*/true);
  EXPECT_EQ(room->LogEntriesForTest(), 0u);

  Post(*room, "one");
  Post(*room, "two");
  ASSERT_EQ(Collect(*room, &reader).size(), 1u);
  EXPECT_EQ(room->LogEntriesForTest(), 2u);  // the member reading for itself has not read them
  std::vector<ServerEvent> events = roomd::testing::DrainEvents(*room, 3, true);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].message().text(), "one");
  EXPECT_EQ(events[1].message().text(), "two");
  EXPECT_EQ(room->LogEntriesForTest(), 0u);

  // A member that joins later starts at the tail: nothing it missed, nothing twice.
  FakeSubscriber late;
  JoinOwn(*room, 4, &late, "dan@example.com");
  Post(*room, "three");
  events = roomd::testing::DrainEvents(*room, 4, true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message().text(), "three");
  std::vector<Item> items = Collect(*room, &reader);
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items.back().events.back().message().text(), "three");
  roomd::testing::DrainEvents(*room, 3, true);
  EXPECT_EQ(room->LogEntriesForTest(), 0u);
}

// A small room that is never idle (a join storm keeps some reader busy) trims its read
// entries every few KB, not every 64 KB: 1,000 rooms of 100 held about 100 MB more.
TEST_F(RoomFeedTest, ASmallBusyRoomKeepsOnlyAFewKilobytesOfReadEntries) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b, own;
  JoinTwoFedAndOneOwn(*room, &reader, &a, &b, &own);
  const std::string text(1000, 'x');
  size_t most_kept = 0;
  for (int i = 0; i < 200; ++i) {
    Post(*room, text);
    Collect(*room, &reader);
    roomd::testing::DrainEvents(*room, 3, /*register_if_idle=*/false);  // read, never idle
    most_kept = std::max(most_kept, room->LogEntriesForTest());
  }
  // Every entry was read: only the slack of a room of 3 (its 4 KB floor) plus one entry.
  EXPECT_LE(most_kept, 8u);
}

TEST_F(RoomFeedTest, ASlowFeedIsDroppedWithItsSessionsAndStallsNoOne) {
  options_.max_outbound_bytes = 16 << 10;
  auto room = MakeRoom();
  FakeSubscriber slow_reader, fast_reader, a, b, c, own;
  JoinFed(*room, 1, &a, &slow_reader, 11, "ann@example.com");
  JoinFed(*room, 2, &b, &slow_reader, 12, "ben@example.com");
  JoinFed(*room, 3, &c, &fast_reader, 31, "cat@example.com");
  JoinOwn(*room, 4, &own, "dan@example.com");
  Collect(*room, &slow_reader);
  Collect(*room, &fast_reader);
  roomd::testing::DrainEvents(*room, 4);

  const std::string text(1000, 'x');
  std::vector<uint64_t> fast_seqs;
  for (int i = 0; i < 100; ++i) {
    Post(*room, text);
    for (const Item& item : Collect(*room, &fast_reader)) {
      for (const ServerEvent& event : item.events) {
        if (event.has_message()) {
          fast_seqs.push_back(event.message().seq());
        }
      }
    }
    roomd::testing::DrainEvents(*room, 4);
    EXPECT_LE(room->LogEntriesForTest(), 16u + 4u + 8u);  // bounded: the slow feed goes
  }
  EXPECT_EQ(a.dropped().message(), "slow consumer");
  EXPECT_EQ(b.dropped().message(), "slow consumer");
  EXPECT_TRUE(c.dropped().ok());
  EXPECT_TRUE(own.dropped().ok());
  ASSERT_EQ(fast_seqs.size(), 100u);  // every message, in order, to the feed that kept up
  for (size_t i = 0; i < fast_seqs.size(); ++i) {
    EXPECT_EQ(fast_seqs[i], i + 1);
  }
  EXPECT_EQ(room->connection_count(), 2u);
  Room::CollectResult result;
  Collect(*room, &slow_reader, &result);
  EXPECT_EQ(result, Room::CollectResult::kGone);
}

TEST_F(RoomFeedTest, TheFeedGoesWithItsLastSession) {
  auto room = MakeRoom();
  FakeSubscriber reader, a, b;
  JoinFed(*room, 1, &a, &reader, 11, "ann@example.com");
  JoinFed(*room, 2, &b, &reader, 12, "ben@example.com");
  {
    Notifications notes;
    room->Leave(1, &notes);
  }
  std::vector<Item> items = Collect(*room, &reader);
  ASSERT_FALSE(items.empty());
  for (const Item& item : items) {
    EXPECT_EQ(item.sessions, (std::vector<uint64_t>{12}));  // ann left: none for her
  }
  {
    Notifications notes;
    room->Leave(2, &notes);
  }
  Room::CollectResult result;
  Collect(*room, &reader, &result);
  EXPECT_EQ(result, Room::CollectResult::kGone);
  // A new session through the same reader makes a new feed.
  JoinFed(*room, 3, &a, &reader, 13, "ann@example.com");
  items = Collect(*room, &reader);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].events[0].welcome().self().name(), "ann");
}

}  // namespace
}  // namespace roomd
