// Fuzzes roomd's session state machine without a network: a sequence of events (join,
// send, typing, leave, read) from a few connections, checked the way ChatSession checks
// them (validation, identity) and applied to one Room. Invariants: one join per
// connection, every member reads the room's messages in seq order without gaps from its
// Welcome on, presence counts never go negative, and a dropped member is gone for good.

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "chat/v1/chat.pb.h"
#include "roomd/core/identity.h"
#include "roomd/core/room.h"
#include "roomd/core/server_options.h"
#include "roomd/core/subscriber.h"
#include "roomd/core/timer.h"
#include "roomd/core/validation.h"

namespace {

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// One connection's view: its state and what it has read.
class FakeConnection : public roomd::Subscriber {
 public:
  void Ref() override { ++refs_; }
  void Unref() override { --refs_; }
  void OnEventsAvailable() override {}
  void OnDropped(const absl::Status& why) override {
    Check(!why.ok());
    dropped_ = true;
  }

  enum class State { kAwaitingJoin, kJoined, kFinished };
  State state = State::kAwaitingJoin;
  chat::v1::User user;
  uint64_t last_seq = 0;
  bool dropped_ = false;
  int refs_ = 0;
};

constexpr size_t kConnections = 4;
constexpr int kMaxSteps = 200;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  roomd::ServerOptions options;
  options.max_text_bytes = 64;
  options.max_client_id_bytes = 16;
  options.history_size = 4;
  options.max_connections_per_room = 3;
  options.max_outbound_bytes = 2048;  // small, so slow-consumer drops happen
  options.typing_timeout = absl::Hours(1);  // no timer thread activity during a run
  roomd::Timer timer;
  auto room = std::make_shared<roomd::Room>("lobby", options, &timer);
  std::array<FakeConnection, kConnections> conns;

  for (int step = 0; step < kMaxSteps && input.remaining_bytes() > 0; ++step) {
    const size_t index = input.ConsumeIntegralInRange<size_t>(0, kConnections - 1);
    FakeConnection& conn = conns[index];
    const uint64_t conn_id = index + 1;
    if (conn.dropped_ && conn.state == FakeConnection::State::kJoined) {
      conn.state = FakeConnection::State::kFinished;
    }
    roomd::Notifications notes;
    switch (input.ConsumeIntegralInRange<int>(0, 4)) {
      case 0: {  // join
        const std::string room_name = input.ConsumeBool() ? "lobby" : input.ConsumeRandomLengthString(80);
        const std::string email = input.ConsumeRandomLengthString(40);
        const std::string name = input.ConsumeRandomLengthString(40);
        const uint64_t after_seq = input.ConsumeIntegral<uint8_t>();
        if (conn.state != FakeConnection::State::kAwaitingJoin) {
          break;  // ChatSession: FAILED_PRECONDITION (joined) or nothing (finished)
        }
        absl::Status status = roomd::ValidateRoomName(room_name);
        absl::StatusOr<chat::v1::User> user = roomd::MakeUser(email, name);
        if (!status.ok() || !user.ok() || room_name != "lobby") {
          conn.state = FakeConnection::State::kFinished;  // stream ends INVALID_ARGUMENT
          break;
        }
        Check(!user->id().empty() && user->avatar_url().find(email) == std::string::npos);
        chat::v1::ServerEvent welcome;
        status = room->Join(conn_id, &conn, *user, after_seq, &welcome, &notes);
        if (!status.ok()) {
          Check(absl::IsResourceExhausted(status));
          conn.state = FakeConnection::State::kFinished;
          break;
        }
        Check(welcome.has_welcome());
        uint64_t previous = after_seq;
        for (const chat::v1::ChatMessage& message : welcome.welcome().history()) {
          Check(message.seq() > previous);
          previous = message.seq();
        }
        conn.state = FakeConnection::State::kJoined;
        conn.user = *user;
        conn.last_seq = welcome.welcome().last_seq();
        break;
      }
      case 1: {  // send
        const std::string text = input.ConsumeRandomLengthString(100);
        const std::string client_id = input.ConsumeRandomLengthString(20);
        if (conn.state != FakeConnection::State::kJoined) {
          break;
        }
        if (!roomd::ValidateClientId(client_id, options.max_client_id_bytes).ok() ||
            !roomd::ValidateMessageText(text, options.max_text_bytes).ok()) {
          break;  // Error event, the stream stays
        }
        absl::StatusOr<chat::v1::ChatMessage> message =
            room->Post(conn.user, text, client_id, conn_id, &notes);
        Check(message.ok() && message->text() == text);
        break;
      }
      case 2: {  // typing
        const bool active = input.ConsumeBool();
        if (conn.state == FakeConnection::State::kJoined) {
          room->SetTyping(conn_id, active, &notes);
        }
        break;
      }
      case 3:  // leave (or a cancelled stream)
        if (conn.state == FakeConnection::State::kJoined) {
          room->Leave(conn_id, &notes);
        }
        conn.state = FakeConnection::State::kFinished;
        break;
      default: {  // the connection reads what it has not read yet
        if (conn.state != FakeConnection::State::kJoined) {
          break;
        }
        std::vector<grpc::Slice> slices;
        const size_t max_events = input.ConsumeIntegralInRange<size_t>(1, 8);
        const roomd::Room::CollectResult result =
            room->Collect(conn_id, max_events, 1 << 20, input.ConsumeBool(), &slices, &notes);
        Check(slices.size() <= max_events);
        if (result == roomd::Room::CollectResult::kGone ||
            result == roomd::Room::CollectResult::kSlowConsumer) {
          conn.state = FakeConnection::State::kFinished;
        }
        for (const grpc::Slice& slice : slices) {
          chat::v1::ServerEvent event;
          Check(event.ParseFromArray(slice.begin(), static_cast<int>(slice.size())));
          if (event.has_message()) {
            Check(event.message().seq() == conn.last_seq + 1);
            conn.last_seq = event.message().seq();
          }
          if (event.has_presence()) {
            Check(event.presence().online_count() <= kConnections);
          }
          Check(!event.has_welcome());
        }
        break;
      }
    }
  }
  {
    roomd::Notifications notes;
    for (size_t i = 0; i < kConnections; ++i) {
      room->Leave(i + 1, &notes);
    }
  }
  Check(room->connection_count() == 0);
  for (const FakeConnection& conn : conns) {
    Check(conn.refs_ == 0);  // every notification released its reference
  }
  timer.Stop();
  return 0;
}
