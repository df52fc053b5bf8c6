#pragma once

// What room tests read: everything a member of a Room has not read yet, decoded.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "chat/v1/chat.pb.h"
#include "roomd/core/room.h"
#include "roomd/core/subscriber.h"

namespace roomd::testing {

// Collects every unread event of `conn` (registering it for wakes if it ends idle and
// `register_if_idle`), each parsed back into a ServerEvent.
inline std::vector<chat::v1::ServerEvent> DrainEvents(Room& room, uint64_t conn,
                                                      bool register_if_idle = false) {
  std::vector<grpc::Slice> slices;
  Notifications notes;
  while (room.Collect(conn, 1000, 1 << 30, register_if_idle, &slices, &notes) ==
         Room::CollectResult::kEvents) {
  }
  std::vector<chat::v1::ServerEvent> events;
  for (const grpc::Slice& slice : slices) {
    chat::v1::ServerEvent event;
    EXPECT_TRUE(event.ParseFromArray(slice.begin(), static_cast<int>(slice.size())));
    events.push_back(event);
  }
  return events;
}

}  // namespace roomd::testing
