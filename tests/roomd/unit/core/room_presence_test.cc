// Presence in big rooms: coalesced ticks, the paged Welcome, and a member's online list that
// ends exact after a storm of joins and leaves.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "roomd/core/identity.h"
#include "roomd/core/room.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "tests/roomd/unit/core/drain_events.h"
#include "tests/roomd/unit/core/fake_subscriber.h"

namespace roomd {
namespace {

using chat::v1::ServerEvent;

using roomd::testing::FakeSubscriber;

chat::v1::User UserFor(int i) { return *MakeUser(absl::StrCat("u", i, "@example.com"), ""); }

// What a client keeps: the online names, from Welcome, pages and Presence events, as the
// page (web/app.js) keeps them.
struct OnlineModel {
  std::set<std::string> names;
  uint32_t count = 0;
  bool stale = false;  // a truncated Presence: fetch the list again

  void Apply(const ServerEvent& event) {
    if (!event.has_presence()) {
      return;
    }
    const chat::v1::Presence& p = event.presence();
    if (p.has_joined()) {
      names.insert(p.joined().name());
    }
    if (p.has_left()) {
      names.erase(p.left().name());
    }
    for (const chat::v1::User& user : p.joined_users()) {
      names.insert(user.name());
    }
    for (const chat::v1::User& user : p.left_users()) {
      names.erase(user.name());
    }
    stale = stale || p.truncated();
    count = p.online_count();
  }
  void Refetch(const Room& room) {
    names.clear();
    std::string token;
    do {
      absl::StatusOr<chat::v1::GetPresenceResponse> page = room.PresencePage(0, token);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const chat::v1::User& user : page->online()) {
        names.insert(user.name());
      }
      count = page->online_count();
      token = page->next_page_token();
    } while (!token.empty());
    stale = false;
  }
};

std::set<std::string> OnlineNames(const Room& room) {
  std::set<std::string> names;
  for (const chat::v1::User& user : room.Online()) {
    names.insert(user.name());
  }
  return names;
}

class RoomPresenceTest : public ::testing::Test {
 protected:
  RoomPresenceTest() {
    options_.presence_coalesce_above = 4;
    options_.presence_interval = absl::Milliseconds(20);
    options_.presence_max_users = 6;
    options_.presence_page_size = 3;
    options_.max_connections_per_user = 0;
  }

  ServerEvent Join(Room& room, int i, Subscriber* sub) {
    ServerEvent welcome;
    Notifications notes;
    const absl::Status status = room.Join(i, sub, UserFor(i), 0, &welcome, &notes);
    EXPECT_TRUE(status.ok()) << status;
    return welcome;
  }
  void Leave(Room& room, int i) {
    Notifications notes;
    room.Leave(i, &notes);
  }

  // Reads what `conn` has until its model matches the room (waiting on wakes for the ticks
  // still due); false if it does not within the wake deadline.
  bool SettleModel(Room& room, uint64_t conn, FakeSubscriber* sub, OnlineModel* model) {
    for (int round = 0; round < 1000; ++round) {
      const int seen = sub->wakes();
      for (const ServerEvent& event : testing::DrainEvents(room, conn, /*register=*/true)) {
        model->Apply(event);
      }
      if (model->stale) {
        model->Refetch(room);
      }
      const std::set<std::string> expected = OnlineNames(room);
      if (model->names == expected && model->count == expected.size()) {
        return true;
      }
      if (!sub->WaitForWakeAfter(seen)) {
        return false;
      }
    }
    return false;
  }

  // A member for the test: it outlives the test's body, since the room's timer thread may
  // wake it (a presence tick) after the last line; they are freed once timer_ has stopped.
  FakeSubscriber* NewSubscriber() {
    subscribers_.push_back(std::make_unique<FakeSubscriber>());
    return subscribers_.back().get();
  }

  ServerOptions options_;
  std::vector<std::unique_ptr<FakeSubscriber>> subscribers_;  // before timer_: freed after it
  Timer timer_;
};

TEST_F(RoomPresenceTest, ABigRoomSendsTheJoinsOfATickInOnePresence) {
  auto room = std::make_shared<Room>("lobby", options_, &timer_);
  std::vector<FakeSubscriber*> subs;
  for (int i = 1; i <= 5; ++i) {
    subs.push_back(NewSubscriber());
    Join(*room, i, subs.back());
  }
  testing::DrainEvents(*room, 1);  // the small room's per-join events
  const int seen = subs[0]->wakes();
  testing::DrainEvents(*room, 1, /*register_if_idle=*/true);
  subs.push_back(NewSubscriber());
  Join(*room, 6, subs.back());
  subs.push_back(NewSubscriber());
  Join(*room, 7, subs.back());
  ASSERT_TRUE(subs[0]->WaitForWakeAfter(seen));
  std::set<std::string> joined;
  int events = 0;
  for (int round = 0; joined.size() < 2 && round < 100; ++round) {
    const int now = subs[0]->wakes();
    for (const ServerEvent& event : testing::DrainEvents(*room, 1, /*register=*/true)) {
      ASSERT_TRUE(event.has_presence());
      EXPECT_FALSE(event.presence().has_joined());  // no per-join event in a big room
      for (const chat::v1::User& user : event.presence().joined_users()) {
        joined.insert(user.name());
      }
      ++events;
    }
    if (joined.size() < 2) {
      ASSERT_TRUE(subs[0]->WaitForWakeAfter(now));
    }
  }
  EXPECT_EQ(joined, (std::set<std::string>{"u6", "u7"}));
  EXPECT_LE(events, 2);  // one per tick: both joins, or a tick between them
}

TEST_F(RoomPresenceTest, ABigRoomsWelcomeCarriesTheCountAndTheFirstPage) {
  auto room = std::make_shared<Room>("lobby", options_, &timer_);
  std::vector<FakeSubscriber*> subs;
  ServerEvent welcome;
  for (int i = 9; i >= 1; --i) {  // join order is not name order
    subs.push_back(NewSubscriber());
    welcome = Join(*room, i, subs.back());
  }
  const chat::v1::Welcome& w = welcome.welcome();
  EXPECT_EQ(w.online_count(), 9u);
  ASSERT_EQ(w.online_size(), 3);
  EXPECT_EQ(w.online(0).name(), "u1");
  EXPECT_EQ(w.online(1).name(), "u2");
  EXPECT_EQ(w.online(2).name(), "u3");
  ASSERT_FALSE(w.online_next_page_token().empty());
  absl::StatusOr<chat::v1::GetPresenceResponse> next =
      room->PresencePage(10, w.online_next_page_token());
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->online_size(), 6);
  EXPECT_EQ(next->online(0).name(), "u4");
  EXPECT_TRUE(next->next_page_token().empty());
  EXPECT_EQ(next->online_count(), 9u);
}

TEST_F(RoomPresenceTest, ASmallRoomsWelcomeStillListsEveryone) {
  auto room = std::make_shared<Room>("lobby", options_, &timer_);
  Join(*room, 2, NewSubscriber());
  const ServerEvent welcome = Join(*room, 1, NewSubscriber());
  EXPECT_EQ(welcome.welcome().online_size(), 2);
  EXPECT_EQ(welcome.welcome().online_count(), 2u);
  EXPECT_TRUE(welcome.welcome().online_next_page_token().empty());
}

TEST_F(RoomPresenceTest, MembersListsAreExactAfterAStormOfJoinsAndLeaves) {
  auto room = std::make_shared<Room>("lobby", options_, &timer_);
  std::vector<FakeSubscriber*> subs(200);
  for (auto& sub : subs) {
    sub = NewSubscriber();
  }
  OnlineModel early;  // in the room before the storm
  const ServerEvent first = Join(*room, 1, subs[1]);
  for (const chat::v1::User& user : first.welcome().online()) {
    early.names.insert(user.name());
  }
  early.count = first.welcome().online_count();
  for (int i = 2; i <= 60; ++i) {
    Join(*room, i, subs[i]);
  }
  // The storm: 30 leave, 30 join, interleaved; a late member joins in its middle.
  OnlineModel late;
  for (int k = 0; k < 30; ++k) {
    Leave(*room, 2 + 2 * k);
    Join(*room, 100 + k, subs[100 + k]);
    if (k == 15) {
      const ServerEvent welcome = Join(*room, 150, subs[150]);
      for (const chat::v1::User& user : welcome.welcome().online()) {
        late.names.insert(user.name());
      }
      late.count = welcome.welcome().online_count();
      // It scrolls the whole list in, page by page, while the storm goes on.
      std::string token = welcome.welcome().online_next_page_token();
      while (!token.empty()) {
        absl::StatusOr<chat::v1::GetPresenceResponse> page = room->PresencePage(0, token);
        ASSERT_TRUE(page.ok());
        for (const chat::v1::User& user : page->online()) {
          late.names.insert(user.name());
        }
        token = page->next_page_token();
      }
    }
  }
  EXPECT_TRUE(SettleModel(*room, 1, subs[1], &early));
  EXPECT_TRUE(SettleModel(*room, 150, subs[150], &late));
  EXPECT_EQ(early.count, 61u);  // 60, 30 gone, 30 new, and the late member
  EXPECT_EQ(early.names, OnlineNames(*room));
  EXPECT_EQ(late.names, OnlineNames(*room));
}

}  // namespace
}  // namespace roomd
