#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace roomd {

class ChatSession;

// The live Chat streams of one server: the server-wide connection limit, connection ids,
// and shutdown (every stream ends UNAVAILABLE). Thread-safe. Lifetime: owned by the server;
// outlives every session.
class SessionTracker {
 public:
  explicit SessionTracker(size_t max_sessions);
  SessionTracker(const SessionTracker&) = delete;
  SessionTracker& operator=(const SessionTracker&) = delete;

  uint64_t NextConnId() { return next_conn_id_.fetch_add(1, std::memory_order_relaxed); }

  // Admits a session: UNAVAILABLE once shutting down, RESOURCE_EXHAUSTED at the limit.
  absl::Status Add(ChatSession* session);
  // Forgets a session (no-op if it was never admitted).
  void Remove(ChatSession* session);

  // Refuses new sessions and ends every live one with UNAVAILABLE "server shutting down".
  void ShutdownAll();

  size_t size() const;
  // Waits until at most `count` sessions are left or `timeout` passes; false on timeout.
  // For shutdown and tests, never for reactions.
  bool WaitForAtMost(size_t count, absl::Duration timeout);

 private:
  const size_t max_sessions_;
  std::atomic<uint64_t> next_conn_id_{1};
  mutable chat::Mutex mu_;
  chat::CondVar removed_cv_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<ChatSession*> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roomd
