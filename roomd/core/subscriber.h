#pragma once

// How a Room reaches the connections that read its event log, and the deferred list of
// those calls: rooms never call into a connection while holding their own lock.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "chat/v1/chat.pb.h"

namespace roomd {

// A connection that reads a room's events. Implementations are reference-counted so a room
// can hand a subscriber to a caller who notifies it after the room lock is released.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void Ref() = 0;
  virtual void Unref() = 0;
  // New log entries are available. Called with no room lock held.
  virtual void OnEventsAvailable() = 0;
  // The room removed this connection (e.g. slow consumer); it must end with `why`.
  // Called with no room lock held.
  virtual void OnDropped(const absl::Status& why) = 0;
  // A join that Room::Join left pending (a shared room still syncing) completed: `welcome`
  // holds the ServerEvent with the Welcome, or why the join failed (the connection is no
  // longer a member and must end with that status). Called with no room lock held.
  virtual void OnJoined(const absl::StatusOr<chat::v1::ServerEvent>& /*welcome*/) {}
  // A message this connection sent could not be delivered after Post accepted it (the
  // shared broker failed); `client_id` is the Send's. Called with no room lock held.
  virtual void OnSendFailed(const absl::Status& /*why*/, const std::string& /*client_id*/) {}
  // A message this connection sent had been sequenced already (a resend: same user, same
  // client_id): nothing was posted, and `original` is the message it got the first time.
  // Called with no room lock held.
  virtual void OnSendDuplicate(const chat::v1::ChatMessage& /*original*/) {}
};

// Notifications a room produced under its lock, delivered (and the refs released) when this
// object is destroyed: declare it before any lock so it outlives them all.
class Notifications {
 public:
  Notifications() = default;
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;
  ~Notifications() { Deliver(); }

  void Wake(Subscriber* subscriber) {
    subscriber->Ref();
    wakes_.push_back(subscriber);
  }
  void Drop(Subscriber* subscriber, absl::Status why) {
    subscriber->Ref();
    drops_.emplace_back(subscriber, std::move(why));
  }
  void Joined(Subscriber* subscriber, absl::StatusOr<chat::v1::ServerEvent> welcome) {
    subscriber->Ref();
    joins_.emplace_back(subscriber, std::move(welcome));
  }
  void SendFailed(Subscriber* subscriber, absl::Status why, std::string client_id) {
    subscriber->Ref();
    send_failures_.push_back(SendFailure{subscriber, std::move(why), std::move(client_id), {}});
  }
  void SendDuplicate(Subscriber* subscriber, chat::v1::ChatMessage original) {
    subscriber->Ref();
    send_failures_.push_back(SendFailure{subscriber, absl::OkStatus(), "", std::move(original)});
  }

  // Delivers everything queued so far (joins first, so a Welcome precedes the events that
  // follow it; then failed sends, drops, wakes); callable more than once.
  void Deliver() {
    while (!joins_.empty() || !send_failures_.empty() || !drops_.empty() || !wakes_.empty()) {
      std::vector<std::pair<Subscriber*, absl::StatusOr<chat::v1::ServerEvent>>> joins;
      joins.swap(joins_);
      std::vector<SendFailure> send_failures;
      send_failures.swap(send_failures_);
      std::vector<std::pair<Subscriber*, absl::Status>> drops;
      drops.swap(drops_);
      std::vector<Subscriber*> wakes;
      wakes.swap(wakes_);
      for (auto& [subscriber, welcome] : joins) {
        subscriber->OnJoined(welcome);
        subscriber->Unref();
      }
      for (SendFailure& failure : send_failures) {
        if (failure.original.has_value()) {
          failure.subscriber->OnSendDuplicate(*failure.original);
        } else {
          failure.subscriber->OnSendFailed(failure.why, failure.client_id);
        }
        failure.subscriber->Unref();
      }
      for (auto& [subscriber, why] : drops) {
        subscriber->OnDropped(why);
        subscriber->Unref();
      }
      for (Subscriber* subscriber : wakes) {
        subscriber->OnEventsAvailable();
        subscriber->Unref();
      }
    }
  }

 private:
  struct SendFailure {
    Subscriber* subscriber;
    absl::Status why;
    std::string client_id;
    std::optional<chat::v1::ChatMessage> original;  // set: a duplicate, not a failure
  };

  std::vector<Subscriber*> wakes_;
  std::vector<std::pair<Subscriber*, absl::Status>> drops_;
  std::vector<std::pair<Subscriber*, absl::StatusOr<chat::v1::ServerEvent>>> joins_;
  std::vector<SendFailure> send_failures_;
};

}  // namespace roomd
