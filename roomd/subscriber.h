#pragma once

// How a Room reaches the connections that read its event log, and the deferred list of
// those calls: rooms never call into a connection while holding their own lock.

#include <utility>
#include <vector>

#include "absl/status/status.h"

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

  // Delivers everything queued so far (drops first); callable more than once.
  void Deliver() {
    while (!drops_.empty() || !wakes_.empty()) {
      std::vector<std::pair<Subscriber*, absl::Status>> drops;
      drops.swap(drops_);
      std::vector<Subscriber*> wakes;
      wakes.swap(wakes_);
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
  std::vector<Subscriber*> wakes_;
  std::vector<std::pair<Subscriber*, absl::Status>> drops_;
};

}  // namespace roomd
