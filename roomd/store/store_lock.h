#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace roomd {

// An exclusive flock on "<path>.lock": one roomd per history store. SQLite's own locks let
// two processes share a database, but two roomds would each hand out the same seqs.
// Lifetime: the lock is held until the object is destroyed (or the process dies: the
// kernel releases it, so a roomd killed with -9 never leaves a stale lock behind).
class StoreLock {
 public:
  // FAILED_PRECONDITION naming the path when the lock file cannot be created or another
  // process holds the lock.
  static absl::StatusOr<StoreLock> Acquire(const std::string& path);
  StoreLock() = default;
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&& other) noexcept;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace roomd
