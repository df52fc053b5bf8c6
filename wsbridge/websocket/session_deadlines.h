#pragma once

// A browser session's deadlines (the next ping, the Welcome, the closing handshake, roomd's
// end) on one asio timer: a steady_timer is about 100 bytes, and an idle connection used to
// carry four. Several may be set at once (ping and join; close and linger), so the timer
// waits for the earliest and the handler learns which ones are due.
//
// Not thread-safe: the session's loop owns it. A pending wait holds what its handler holds
// (the session), like any asio wait; Clear cancels the wait once no deadline is left.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "wsbridge/websocket/operation_memory.h"

namespace wsbridge {

class SessionDeadlines {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Kind : std::uint8_t { kPing, kJoin, kClose, kLinger };
  static constexpr std::size_t kKinds = 4;

  explicit SessionDeadlines(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  // Sets `kind` due `after` from now, replacing its earlier time; Arm must follow.
  void Set(Kind kind, Clock::duration after) { at_[Index(kind)] = Clock::now() + after; }
  // Unsets `kind`; with nothing left set, the pending wait is cancelled.
  void Clear(Kind kind);
  bool IsSet(Kind kind) const { return at_[Index(kind)] != kUnset; }

  // Waits for the earliest deadline set (unless a wait for that time is pending already);
  // then `on_due(kind)` runs on the loop for each deadline due, which is unset first, in
  // Kind's order, and the timer waits for the next. `on_due` keeps its owner (and so this)
  // alive; it is copied into each wait.
  template <typename OnDue>
  void Arm(OnDue on_due) {
    const Clock::time_point earliest = Earliest();
    if (earliest == kUnset || earliest == armed_for_) {
      return;
    }
    armed_for_ = earliest;
    timer_.expires_at(earliest);  // cancels the wait for a later time, if any
    auto on_expiry = [this, earliest, on_due = std::move(on_due)](
                         const boost::system::error_code& ec) mutable {
      // A wait replaced by an earlier one may have completed before it was cancelled.
      if (ec || earliest != armed_for_) {
        return;
      }
      armed_for_ = kUnset;
      const std::array<bool, kKinds> due = TakeDue();
      for (std::size_t i = 0; i < kKinds; ++i) {
        if (due[i]) {
          on_due(static_cast<Kind>(i));
        }
      }
      Arm(on_due);
    };
    // A block of its own size (ExactAllocator says why).
    timer_.async_wait(boost::asio::bind_allocator(ExactAllocator<void>(), std::move(on_expiry)));
  }

 private:
  static constexpr Clock::time_point kUnset = Clock::time_point::max();
  static constexpr std::size_t Index(Kind kind) { return static_cast<std::size_t>(kind); }

  Clock::time_point Earliest() const;
  // Unsets and returns the deadlines whose time has come.
  std::array<bool, kKinds> TakeDue();

  boost::asio::steady_timer timer_;
  std::array<Clock::time_point, kKinds> at_{kUnset, kUnset, kUnset, kUnset};
  Clock::time_point armed_for_ = kUnset;  // the time the pending wait is for
};

}  // namespace wsbridge
