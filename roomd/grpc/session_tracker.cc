#include "roomd/grpc/session_tracker.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/grpc/chat_session.h"

namespace roomd {

SessionTracker::SessionTracker(size_t max_sessions) : max_sessions_(max_sessions) {}

absl::Status SessionTracker::Add(ChatSession* session) {
  chat::MutexLock lock(&mu_);
  if (shutting_down_) {
    return absl::UnavailableError("server shutting down");
  }
  if (sessions_.size() >= max_sessions_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("too many connections to this server (limit ", max_sessions_, ")"));
  }
  sessions_.insert(session);
  return absl::OkStatus();
}

void SessionTracker::Remove(ChatSession* session) {
  chat::MutexLock lock(&mu_);
  if (sessions_.erase(session) > 0) {
    removed_cv_.SignalAll();
  }
}

void SessionTracker::ShutdownAll() {
  std::vector<ChatSession*> sessions;
  {
    chat::MutexLock lock(&mu_);
    shutting_down_ = true;
    sessions.reserve(sessions_.size());
    for (ChatSession* session : sessions_) {
      session->Ref();  // keeps it alive between the unlock and Shutdown()
      sessions.push_back(session);
    }
  }
  for (ChatSession* session : sessions) {
    session->Shutdown();
    session->Unref();
  }
}

size_t SessionTracker::size() const {
  chat::MutexLock lock(&mu_);
  return sessions_.size();
}

bool SessionTracker::WaitForAtMost(size_t count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  while (sessions_.size() > count) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return false;
    }
    removed_cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - now));
  }
  return true;
}

}  // namespace roomd
