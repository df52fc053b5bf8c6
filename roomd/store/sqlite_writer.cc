// SqliteStore's writer thread: group commits, the fsync interval, retention sweeps.

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/core/logger.h"
#include "roomd/store/sqlite_store.h"

namespace roomd {
namespace {

// Rows one retention statement deletes at most: a short transaction between commits, so
// live traffic never waits long behind a sweep.
constexpr int64_t kSweepBatch = 500;

}  // namespace

void SqliteStore::WriterLoop() {
  std::vector<Pending> batch;
  for (;;) {
    ApplyTestHooks();
    bool stopping = false;
    {
      chat::MutexLock lock(&mu_);
      const absl::Time now = absl::Now();
      const absl::Time wake = next_sweep_;
      if (queue_.empty() && state_ != State::kStopping && wake > now && !sweep_now_.load() &&
          max_pages_for_test_.load() < 0) {
        cv_.WaitFor(&mu_, absl::ToChronoMilliseconds(std::min(wake - now, absl::Seconds(1))));
      }
      const size_t take = std::min(queue_.size(), config_.max_batch);
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stopping = state_ == State::kStopping && queue_.empty();
    }
    if (!batch.empty()) {
      absl::Status status = CommitBatch(batch);
      if (status.ok()) {
        commits_.fetch_add(1);
        HandToDeliverer(std::move(batch));
      } else {
        // Later messages of the same rooms were sequenced after the failed ones: fail them
        // too (a seq must never be skipped), and refuse appends until every room has
        // heard, so each room takes its seq back before anyone sends again. What was
        // committed before is delivered first, so each room hears in seq order.
        Log("history store: %s", status.ToString());
        WaitDelivered();
        {
          chat::MutexLock lock(&mu_);
          if (state_ == State::kOpen) {
            state_ = State::kFailing;
          }
          failure_ = status;
          for (Pending& pending : queue_) {
            batch.push_back(std::move(pending));
          }
          queue_.clear();
        }
        for (Pending& pending : batch) {
          pending.done(status);
        }
        chat::MutexLock lock(&mu_);
        if (state_ == State::kFailing) {
          state_ = State::kOpen;  // the next send tries again: space may have come back
        }
      }
      batch.clear();
    }
    const absl::Time now = absl::Now();
    if (sweep_now_.exchange(false) || now >= next_sweep_) {
      // One batch per turn; come straight back while more is left.
      next_sweep_ = SweepOnce() ? now : now + config_.retention_sweep;
    }
    if (stopping) {
      return;
    }
  }
}

absl::Status SqliteStore::CommitBatch(const std::vector<Pending>& batch) {
  sqlite::Db& db = writer_.db;
  if (absl::Status status = writer_.begin.Run("BEGIN IMMEDIATE"); !status.ok()) {
    return status;
  }
  absl::flat_hash_map<absl::string_view, int64_t> last_seqs;
  absl::Status status;
  sqlite::Stmt& insert = writer_.insert;
  for (const Pending& pending : batch) {
    insert.Bind(1, pending.room);
    insert.Bind(2, pending.seq);
    insert.Bind(3, pending.sent_at_ns);
    insert.Bind(4, pending.user_id);
    insert.Bind(5, pending.client_id);
    insert.BindBlob(6, pending.body);
    status = insert.Run("store a message");
    if (!status.ok()) {
      break;
    }
    int64_t& last = last_seqs[pending.room];
    last = std::max(last, pending.seq);
  }
  for (auto it = last_seqs.begin(); status.ok() && it != last_seqs.end(); ++it) {
    writer_.upsert_room.Bind(1, it->first);
    writer_.upsert_room.Bind(2, it->second);
    status = writer_.upsert_room.Run("store the room's last seq");
  }
  if (status.ok()) {
    status = writer_.commit.Run("COMMIT");
  }
  if (!status.ok()) {
    (void)db.Exec("ROLLBACK");
  }
  return status;
}

bool SqliteStore::SweepOnce() {
  if (config_.retention_age <= absl::ZeroDuration() && config_.retention_messages == 0) {
    return false;
  }
  int64_t deleted = 0;
  absl::Status status = writer_.begin.Run("BEGIN IMMEDIATE");
  if (status.ok() && config_.retention_age > absl::ZeroDuration()) {
    writer_.delete_old.Bind(1, absl::ToUnixNanos(absl::Now() - config_.retention_age));
    writer_.delete_old.Bind(2, kSweepBatch);
    status = writer_.delete_old.Run("delete expired messages");
    deleted += sqlite3_changes(writer_.db.get());
  }
  if (status.ok() && config_.retention_messages > 0) {
    std::vector<std::pair<std::string, uint64_t>> rooms;
    sqlite::Stmt& list = writer_.list_rooms;
    while (list.Step() == SQLITE_ROW) {
      if (static_cast<uint64_t>(list.Int(1)) > config_.retention_messages) {
        rooms.emplace_back(std::string(list.Blob(0)), static_cast<uint64_t>(list.Int(1)));
      }
    }
    list.Reset();
    for (const auto& [room, last_seq] : rooms) {
      if (deleted >= kSweepBatch || !status.ok()) {
        break;
      }
      writer_.delete_room_excess.Bind(1, room);
      writer_.delete_room_excess.Bind(
          2, static_cast<int64_t>(last_seq - config_.retention_messages));
      writer_.delete_room_excess.Bind(3, kSweepBatch - deleted);
      status = writer_.delete_room_excess.Run("delete a room's oldest messages");
      deleted += sqlite3_changes(writer_.db.get());
    }
  }
  if (status.ok()) {
    status = writer_.commit.Run("COMMIT");
  }
  if (!status.ok()) {
    (void)writer_.db.Exec("ROLLBACK");
    Log("history store: retention: %s", status.ToString());
    return false;
  }
  deleted_.fetch_add(static_cast<uint64_t>(deleted));
  if (deleted > 0) {
    commits_.fetch_add(1);
  }
  return deleted >= kSweepBatch;
}

void SqliteStore::ApplyTestHooks() {
  const int64_t pages = max_pages_for_test_.exchange(-1);
  if (pages >= 0) {
    (void)writer_.db.Exec(absl::StrCat("PRAGMA max_page_count = ", pages));
  }
}

}  // namespace roomd
