// Room as the replica of a shared room, driven by hand through a fake RoomLink: no Redis.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/mutex.h"
#include "roomd/core/event_codec.h"
#include "roomd/core/identity.h"
#include "roomd/core/room.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "tests/roomd/unit/core/drain_events.h"
#include "tests/roomd/unit/core/test_user.h"

namespace roomd {
namespace {

using chat::v1::ServerEvent;

using roomd::testing::UserFor;

// Records what the room asks of the broker; the test plays the broker's replies.
class FakeLink : public RoomLink {
 public:
  struct Published {
    chat::v1::ChatMessage message;
    uint64_t origin;
    std::function<void(absl::StatusOr<PostResult>)> done;
  };
  struct Added {
    chat::v1::User user;
    std::function<void(absl::StatusOr<uint64_t>)> done;
  };

  bool available() const override { return available_; }
  absl::Status PublishMessage(const chat::v1::ChatMessage& message, uint64_t origin_conn,
                              std::function<void(absl::StatusOr<PostResult>)> done) override {
    published.push_back(Published{message, origin_conn, std::move(done)});
    return absl::OkStatus();
  }
  absl::Status AddPresence(const chat::v1::User& user, uint64_t /*origin_conn*/,
                           std::function<void(absl::StatusOr<uint64_t>)> done) override {
    added.push_back(Added{user, std::move(done)});
    return absl::OkStatus();
  }
  void RemovePresence(const chat::v1::User& user, uint64_t /*origin_conn*/) override {
    removed.push_back(user.id());
  }
  void PublishTyping(const ServerEvent& notice, uint64_t /*origin_conn*/) override {
    typing.push_back(notice);
  }

  bool available_ = true;
  std::vector<Published> published;
  std::vector<Added> added;
  std::vector<std::string> removed;
  std::vector<ServerEvent> typing;
};

class RecordingSubscriber : public Subscriber {
 public:
  void Ref() override {}
  void Unref() override {}
  void OnEventsAvailable() override {}
  void OnDropped(const absl::Status& why) override { dropped = why; }
  void OnJoined(const absl::StatusOr<ServerEvent>& welcome) override { joined = welcome; }
  void OnSendFailed(const absl::Status& why, const std::string& client_id) override {
    send_failures.emplace_back(why, client_id);
  }

  std::optional<absl::StatusOr<ServerEvent>> joined;
  absl::Status dropped;
  std::vector<std::pair<absl::Status, std::string>> send_failures;
};

class RoomReplicaTest : public ::testing::Test {
 protected:
  RoomReplicaTest() {
    room_ = std::make_shared<Room>("lobby", options_, &timer_);
    auto link = std::make_unique<FakeLink>();
    link_ = link.get();
    room_->AttachLink(std::move(link));
  }

  // The broker's event for a presence change or a message, applied to the replica.
  void ApplyJoined(uint64_t order, const chat::v1::User& user, uint32_t count,
                   uint64_t origin = 0) {
    ServerEvent event;
    event.mutable_presence()->set_room("lobby");
    *event.mutable_presence()->mutable_joined() = user;
    event.mutable_presence()->set_online_count(count);
    room_->ApplyEvent(order, event, SerializeToSlice(event), origin);
  }
  void ApplyMessage(uint64_t order, uint64_t seq, const std::string& text) {
    ServerEvent event;
    chat::v1::ChatMessage* message = event.mutable_message();
    message->set_room("lobby");
    message->set_seq(seq);
    message->set_text(text);
    room_->ApplyEvent(order, event, SerializeToSlice(event), 0);
  }
  // Makes the replica live (an empty snapshot) and joins `member` as connection 1 as
  // `email`, the broker answering its announcement and sending its joined back: its
  // Welcome is out.
  void JoinFirstMember(RecordingSubscriber* member, const std::string& email) {
    room_->ApplySnapshot(RoomSnapshot{});
    ServerEvent welcome;
    Notifications notes;
    ASSERT_TRUE(room_->Join(1, member, UserFor(email), 0, &welcome, &notes).ok());
    ASSERT_EQ(link_->added.size(), 1u);
    link_->added[0].done(uint64_t{1});
    ApplyJoined(1, UserFor(email), 1, /*origin=*/1);
  }
  std::vector<ServerEvent> Drain(uint64_t conn) {
    return roomd::testing::DrainEvents(*room_, conn);
  }

  ServerOptions options_;
  Timer timer_;
  std::shared_ptr<Room> room_;
  FakeLink* link_;
};

TEST_F(RoomReplicaTest, JoinWaitsForTheSnapshotAndTheJoinersPresence) {
  RecordingSubscriber alice;
  ServerEvent welcome;
  {
    Notifications notes;
    ASSERT_TRUE(room_->Join(1, &alice, UserFor("alice@example.com"), 0, &welcome, &notes).ok());
  }
  EXPECT_FALSE(welcome.has_welcome());  // pending
  ASSERT_EQ(link_->added.size(), 1u);
  link_->added[0].done(uint64_t{4});  // online from event 4
  EXPECT_FALSE(alice.joined.has_value());

  RoomSnapshot snapshot;
  snapshot.event_order = 3;
  snapshot.last_seq = 2;
  for (uint64_t seq : {1, 2}) {
    chat::v1::ChatMessage message;
    message.set_seq(seq);
    snapshot.history.push_back(message);
  }
  snapshot.online.push_back(UserFor("bob@example.com"));
  room_->ApplySnapshot(snapshot);
  EXPECT_FALSE(alice.joined.has_value());  // the snapshot predates alice's join

  ApplyJoined(4, UserFor("alice@example.com"), 2, /*origin=*/1);
  ASSERT_TRUE(alice.joined.has_value());
  ASSERT_TRUE(alice.joined->ok());
  const chat::v1::Welcome& w = (*alice.joined)->welcome();
  ASSERT_EQ(w.online_size(), 2);
  EXPECT_EQ(w.online(0).name(), "bob");
  EXPECT_EQ(w.online(1).name(), "alice");
  EXPECT_EQ(w.history_size(), 2);
  EXPECT_EQ(w.last_seq(), 2u);
  EXPECT_TRUE(Drain(1).empty());  // its own joined came before the Welcome

  ApplyMessage(5, 3, "hello");
  std::vector<ServerEvent> events = Drain(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message().seq(), 3u);
}

// The user is online through another node when this node's snapshot arrives, but this node's
// own announcement has not been answered: were the join completed now, the other node could
// take the user offline in Redis before this node's announcement lands.
TEST_F(RoomReplicaTest, ASnapshotShowingTheUserThroughAnotherNodeDoesNotCompleteTheJoin) {
  RecordingSubscriber alice;
  ServerEvent welcome;
  {
    Notifications notes;
    ASSERT_TRUE(room_->Join(1, &alice, UserFor("alice@example.com"), 0, &welcome, &notes).ok());
  }
  ASSERT_EQ(link_->added.size(), 1u);
  RoomSnapshot snapshot;
  snapshot.event_order = 7;
  snapshot.online.push_back(UserFor("alice@example.com"));  // her tab on another node
  room_->ApplySnapshot(snapshot);
  EXPECT_FALSE(alice.joined.has_value());

  link_->added[0].done(uint64_t{7});  // this node's announcement is in
  ASSERT_TRUE(alice.joined.has_value());
  ASSERT_TRUE(alice.joined->ok());
  EXPECT_EQ((*alice.joined)->welcome().online_size(), 1);
}

TEST_F(RoomReplicaTest, ASecondConnectionOfALiveUserJoinsAtOnce) {
  RecordingSubscriber tab1, tab2;
  ASSERT_NO_FATAL_FAILURE(JoinFirstMember(&tab1, "alice@example.com"));
  ServerEvent welcome;
  Notifications notes;
  ASSERT_TRUE(tab1.joined.has_value());
  ASSERT_TRUE(room_->Join(2, &tab2, UserFor("alice@example.com"), 0, &welcome, &notes).ok());
  EXPECT_TRUE(welcome.has_welcome());
  EXPECT_EQ(link_->added.size(), 1u);  // announced once per node

  room_->Leave(1, &notes);
  EXPECT_TRUE(link_->removed.empty());
  room_->Leave(2, &notes);
  EXPECT_EQ(link_->removed, std::vector<std::string>{UserFor("alice@example.com").id()});
}

TEST_F(RoomReplicaTest, PresenceEventsThatContradictTheReplicaAreDropped) {
  RecordingSubscriber watcher;
  ASSERT_NO_FATAL_FAILURE(JoinFirstMember(&watcher, "olga@example.com"));
  ApplyJoined(2, UserFor("bob@example.com"), 2);
  ApplyJoined(3, UserFor("bob@example.com"), 2);  // already online: not shown twice
  std::vector<ServerEvent> events = Drain(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].presence().joined().name(), "bob");
}

TEST_F(RoomReplicaTest, ASnapshotTellsLiveMembersWhatTheyMissed) {
  RecordingSubscriber watcher;
  ASSERT_NO_FATAL_FAILURE(JoinFirstMember(&watcher, "olga@example.com"));
  ApplyJoined(2, UserFor("bob@example.com"), 2);
  ApplyMessage(3, 1, "one");
  Drain(1);

  room_->OnLinkDown();
  RoomSnapshot snapshot;  // meanwhile: bob left, carol came, messages 2 and 3
  snapshot.event_order = 9;
  snapshot.last_seq = 3;
  for (uint64_t seq : {1, 2, 3}) {
    chat::v1::ChatMessage message;
    message.set_seq(seq);
    snapshot.history.push_back(message);
  }
  snapshot.online = {UserFor("olga@example.com"), UserFor("carol@example.com")};
  room_->ApplySnapshot(snapshot);
  std::vector<ServerEvent> events = Drain(1);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].message().seq(), 2u);
  EXPECT_EQ(events[1].message().seq(), 3u);
  EXPECT_EQ(events[2].presence().left().name(), "bob");
  EXPECT_EQ(events[3].presence().joined().name(), "carol");
  EXPECT_EQ(events[3].presence().online_count(), 2u);
  EXPECT_EQ(room_->History(0, 0).messages_size(), 3);
}

TEST_F(RoomReplicaTest, LinkLossFailsPendingJoinsAndRefusesSends) {
  RecordingSubscriber alice;
  ServerEvent welcome;
  Notifications notes;
  ASSERT_TRUE(room_->Join(1, &alice, UserFor("alice@example.com"), 0, &welcome, &notes).ok());
  room_->OnLinkDown();
  ASSERT_TRUE(alice.joined.has_value());
  EXPECT_TRUE(absl::IsUnavailable(alice.joined->status()));
  EXPECT_EQ(link_->removed.size(), 1u);  // no connection of alice's is left on this node
  EXPECT_EQ(room_->connection_count(), 0u);

  link_->available_ = false;
  EXPECT_TRUE(absl::IsUnavailable(
      room_->Join(2, &alice, UserFor("alice@example.com"), 0, &welcome, &notes)));
  EXPECT_TRUE(absl::IsUnavailable(
      room_->Post(UserFor("alice@example.com"), "x", "c", 2, &notes).status()));
}

TEST_F(RoomReplicaTest, AFailedPublishReachesItsSender) {
  RecordingSubscriber alice;
  ASSERT_NO_FATAL_FAILURE(JoinFirstMember(&alice, "alice@example.com"));
  {
    Notifications notes;
    absl::StatusOr<chat::v1::ChatMessage> accepted =
        room_->Post(UserFor("alice@example.com"), "hi", "c1", 1, &notes);
    ASSERT_TRUE(accepted.ok());
    EXPECT_EQ(accepted->seq(), 0u);  // the broker assigns it
  }
  ASSERT_EQ(link_->published.size(), 1u);
  EXPECT_EQ(link_->published[0].message.text(), "hi");
  link_->published[0].done(absl::UnavailableError(kBrokerUnavailable));
  ASSERT_EQ(alice.send_failures.size(), 1u);
  EXPECT_EQ(alice.send_failures[0].second, "c1");
  EXPECT_TRUE(absl::IsUnavailable(alice.send_failures[0].first));
}

TEST_F(RoomReplicaTest, MessagesSentWhileResyncingWaitForTheSnapshot) {
  RecordingSubscriber alice;
  ASSERT_NO_FATAL_FAILURE(JoinFirstMember(&alice, "alice@example.com"));
  Notifications notes;

  room_->OnLinkDown();  // the link came back at once: the room resyncs
  ASSERT_TRUE(room_->Post(UserFor("alice@example.com"), "held", "c1", 1, &notes).ok());
  EXPECT_TRUE(link_->published.empty());
  RoomSnapshot snapshot;
  snapshot.online.push_back(UserFor("alice@example.com"));
  room_->ApplySnapshot(snapshot);
  ASSERT_EQ(link_->published.size(), 1u);
  EXPECT_EQ(link_->published[0].message.text(), "held");

  // Held when the link drops again: the sender hears it failed.
  room_->OnLinkDown();
  ASSERT_TRUE(room_->Post(UserFor("alice@example.com"), "lost", "c2", 1, &notes).ok());
  room_->OnLinkDown();
  ASSERT_EQ(alice.send_failures.size(), 1u);
  EXPECT_EQ(alice.send_failures[0].second, "c2");
}

}  // namespace
}  // namespace roomd
