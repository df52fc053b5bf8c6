#include "wsbridge/websocket/session_deadlines.h"

#include <algorithm>

namespace wsbridge {

void SessionDeadlines::Clear(Kind kind) {
  at_[Index(kind)] = kUnset;
  if (Earliest() == kUnset && armed_for_ != kUnset) {
    armed_for_ = kUnset;
    timer_.cancel();  // nothing left to wait for: the wait lets go of its handler
  }
}

SessionDeadlines::Clock::time_point SessionDeadlines::Earliest() const {
  return *std::min_element(at_.begin(), at_.end());
}

std::array<bool, SessionDeadlines::kKinds> SessionDeadlines::TakeDue() {
  const Clock::time_point now = Clock::now();
  std::array<bool, kKinds> due{};
  for (std::size_t i = 0; i < kKinds; ++i) {
    due[i] = at_[i] <= now;
    if (due[i]) {
      at_[i] = kUnset;
    }
  }
  return due;
}

}  // namespace wsbridge
