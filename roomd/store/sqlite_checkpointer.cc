// SqliteStore's checkpointer thread: every fsync_interval in which the writer committed, it
// fsyncs the WAL (kInterval: the power-loss bound) and copies the WAL into the database
// (a PASSIVE checkpoint, which never blocks the writer), and now and then makes SQLite
// start the WAL over so that it stays short.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/store/sqlite_store.h"

namespace roomd {
namespace {

// WAL frames (a page each, 4 KiB) above which the checkpointer makes SQLite start the WAL
// over: about 64 MiB. Each restart holds the writer for a moment (the copy of what the
// passive pass left, and a sync), so they had better be rare: under W's 20,000 messages/s
// the WAL grows by about 100 MiB/s.
constexpr int kRestartFrames = 16384;

}  // namespace

void SqliteStore::CheckpointLoop() {
  uint64_t synced = commits_.load();
  for (;;) {
    bool stop = false;
    {
      chat::MutexLock lock(&checkpoint_mu_);
      if (!checkpoint_stop_) {
        checkpoint_cv_.WaitFor(&checkpoint_mu_,
                               absl::ToChronoMilliseconds(config_.fsync_interval));
      }
      stop = checkpoint_stop_;
    }
    const uint64_t commits = commits_.load();
    if (commits != synced) {
      synced = commits;
      Checkpoint();
    }
    if (stop) {
      if (wal_fd_ >= 0) {
        close(wal_fd_);
      }
      return;
    }
  }
}

void SqliteStore::Checkpoint() {
  if (config_.fsync == FsyncMode::kInterval) {
    // The WAL itself, whatever the checkpoint below manages to copy (a reader can hold it
    // back): every commit written before this call is now on the disk.
    if (wal_fd_ < 0) {
      wal_fd_ = open(absl::StrCat(config_.path, "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (wal_fd_ >= 0) {
      fdatasync(wal_fd_);
    }
  }
  int wal_frames = 0;
  int copied = 0;
  sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                            &wal_frames, &copied);
  if (wal_frames > kRestartFrames) {
    // Under steady writes the WAL is never fully copied at the moment a transaction starts,
    // so SQLite never starts it over and it grows without end. RESTART makes it: it waits
    // for the writer's transaction and holds the next one while it copies what the passive
    // pass left (little), then the writer reuses the file from its start.
    sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr, SQLITE_CHECKPOINT_RESTART,
                              nullptr, nullptr);
  }
}

}  // namespace roomd
