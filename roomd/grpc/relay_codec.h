#pragma once

// The Relay stream's frames (chat.v1.RelayUp / RelayDown) read and written at the wire
// level, so the ClientEvents and ServerEvents they carry are never copied: an event read is
// a slice of the frame, and an event written is the room's own pre-serialized slices.

#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace roomd {

struct RelayUpItem {
  enum class Action { kNone, kEvent, kClose, kCancel };
  uint64_t session = 0;
  Action action = Action::kNone;
  grpc::Slice event;  // kEvent: the serialized ClientEvent (shares the frame's memory)
};

// The items of one RelayUp frame, in order. INVALID_ARGUMENT if the bytes are not a
// RelayUp or an item names session 0. An item with no action (from a newer client) is kNone.
absl::StatusOr<std::vector<RelayUpItem>> ParseRelayUp(const grpc::Slice& frame);

struct RelayDownItem {
  uint64_t session = 0;
  std::vector<uint64_t> more_sessions;  // the same event goes to these too
  // The write's serialized ServerEvents (one, or several sent as a batch: EncodeWrite's
  // input); empty when done.
  std::vector<grpc::Slice> events;
  bool done = false;
  absl::Status status;  // when done
};

// One RelayDown frame holding `items` in order: the event slices are referenced, not copied.
grpc::ByteBuffer EncodeRelayDown(const std::vector<RelayDownItem>& items);

// Bytes `item` adds to a RelayDown frame (for sizing writes).
size_t RelayDownItemBytes(const RelayDownItem& item);

}  // namespace roomd
