#include "roomd/core/room_registry.h"

#include <gtest/gtest.h>

#include "roomd/core/identity.h"
#include "roomd/core/subscriber.h"

namespace roomd {
namespace {

class NullSubscriber : public Subscriber {
 public:
  void Ref() override {}
  void Unref() override {}
  void OnEventsAvailable() override {}
  void OnDropped(const absl::Status&) override {}
};

TEST(RoomRegistryTest, CreatesOnFirstUseAndFindsAfterwards) {
  ServerOptions options;
  Timer timer;
  RoomRegistry registry(options, &timer);
  EXPECT_EQ(registry.Find("lobby"), nullptr);
  auto created = registry.GetOrCreate("lobby");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(registry.Find("lobby"), *created);
  EXPECT_EQ(*registry.GetOrCreate("lobby"), *created);
  ASSERT_TRUE(registry.GetOrCreate("attic").ok());
  std::vector<chat::v1::RoomInfo> rooms = registry.List();
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].name(), "attic");
  EXPECT_EQ(rooms[1].name(), "lobby");
}

TEST(RoomRegistryTest, AtTheLimitAnEmptyRoomMakesWayElseRefuses) {
  ServerOptions options;
  options.max_rooms = 2;
  Timer timer;
  RoomRegistry registry(options, &timer);
  NullSubscriber subscriber;
  Notifications notes;
  chat::v1::ServerEvent welcome;
  auto busy = *registry.GetOrCreate("busy");
  ASSERT_TRUE(busy->Join(1, &subscriber, *MakeUser("a@b.c", ""), 0, &welcome, &notes).ok());
  auto idle = *registry.GetOrCreate("idle");
  ASSERT_TRUE(registry.GetOrCreate("third").ok());  // "idle" was empty: it made way
  EXPECT_EQ(registry.Find("idle"), nullptr);
  EXPECT_TRUE(absl::IsAborted(idle->Post(*MakeUser("a@b.c", ""), "x", "", 0, &notes).status()));

  auto third = *registry.GetOrCreate("third");
  ASSERT_TRUE(third->Join(2, &subscriber, *MakeUser("a@b.c", ""), 0, &welcome, &notes).ok());
  const auto refused = registry.GetOrCreate("fourth");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  busy->Leave(1, &notes);
  third->Leave(2, &notes);
}

}  // namespace
}  // namespace roomd
