#pragma once

#include <memory>
#include <string>

#include "roomd/broker/broker.h"
#include "roomd/store/message_store.h"

namespace roomd {

// The embedded broker (--broker=memory): this process is the only node, every Room is its
// own authority (seq, history ring, presence) and fans out to its members at once. The unary
// RPCs are answered from the local rooms, inline. Lifetime: owned by the server; the
// registry given to Start outlives it.
class MemoryBroker final : public Broker {
 public:
  // `store` may be null (history is each room's ring).
  explicit MemoryBroker(MessageStore* store = nullptr) : store_(store) {}

  absl::Status Start(RoomRegistry* rooms) override;
  void Shutdown() override {}
  std::unique_ptr<RoomLink> Link(const std::shared_ptr<Room>& /*room*/) override {
    return nullptr;
  }
  void Post(const std::string& room, const chat::v1::User& from, const std::string& text,
            const std::string& client_id, MessageCallback done) override;
  void History(const std::string& room, uint64_t after_seq, uint64_t before_seq,
               uint32_t limit, HistoryCallback done) override;
  void Presence(const std::string& room, PresenceCallback done) override;
  void ListRooms(RoomsCallback done) override;
  bool WaitUntilAvailable(absl::Duration /*timeout*/) override { return true; }

 private:
  MessageStore* const store_;
  RoomRegistry* rooms_ = nullptr;
};

}  // namespace roomd
