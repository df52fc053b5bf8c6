#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "roomd/store/message_store.h"
#include "roomd/store/sqlite_db.h"
#include "roomd/store/store_lock.h"

namespace roomd {

// How hard a commit is pushed to the disk (--fsync). Every mode survives `kill -9` of roomd:
// a commit has been written to the OS before its messages are acknowledged. They differ on
// power loss or an OS crash:
//   kAlways:   every group commit is fsynced before it is acknowledged: nothing is lost.
//   kInterval: the WAL is fsynced at least every fsync_interval (by the checkpointer, off
//              the writer's path): messages acknowledged within the last interval may be
//              lost; the database stays sound.
//   kOff:      never fsynced: recent messages may be lost and the file may be damaged.
enum class FsyncMode { kAlways, kInterval, kOff };

// The history store on SQLite (--store=sqlite:PATH) in WAL mode. Appends go to a queue that
// one writer thread drains: many messages, one transaction (a group commit). Only then are
// their callbacks (which deliver them) run, in commit order, by a deliverer thread, so the
// writer commits the next batch while the last one is being delivered. Reads use a connection of their own, which WAL lets
// run beside the writer. The writer also deletes expired messages (retention) in small
// batches between commits. A checkpointer thread of its own fsyncs the WAL (kInterval) and
// copies it into the database, so no commit ever waits for the disk but with kAlways.
// Thread-safe. Lifetime: owned by the server; Shutdown (or the destructor) stops the writer.
class SqliteStore final : public MessageStore {
 public:
  struct Config {
    std::string path;
    FsyncMode fsync = FsyncMode::kInterval;
    absl::Duration fsync_interval = absl::Seconds(1);
    // Retention: 0 keeps messages forever / keeps every message of a room.
    absl::Duration retention_age = absl::ZeroDuration();
    uint64_t retention_messages = 0;
    // How often the writer looks for expired messages.
    absl::Duration retention_sweep = absl::Seconds(10);
    // SQLite's max_page_count (0: SQLite's default): a full disk, simulated.
    int64_t max_pages = 0;
    // Messages in one transaction at most.
    size_t max_batch = 2048;
  };

  // Locks the store, opens (creating) the database and its schema. FAILED_PRECONDITION
  // naming the path when it cannot be created, is not a SQLite database, or another roomd
  // holds it.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const Config& config);
  ~SqliteStore() override;

  absl::Status Append(const chat::v1::ChatMessage& message, AppendCallback done) override;
  absl::StatusOr<StoredRoom> LoadRoom(const std::string& room, size_t recent) override;
  absl::StatusOr<chat::v1::GetHistoryResponse> History(const std::string& room,
                                                       uint64_t after_seq, uint64_t before_seq,
                                                       uint32_t limit) override;
  absl::StatusOr<std::vector<chat::v1::RoomInfo>> ListRooms() override;
  absl::StatusOr<std::optional<chat::v1::ChatMessage>> FindByClientId(
      const std::string& room, const std::string& user_id,
      const std::string& client_id) override;
  void Shutdown() override;

  // Test hooks: the writer applies a new max_page_count before its next commit (a full disk,
  // or space coming back); a sweep runs at the writer's next turn.
  void SetMaxPagesForTest(int64_t pages);
  void SweepNowForTest();
  // Messages the writer's retention deleted so far.
  uint64_t deleted_count() const { return deleted_.load(); }

 private:
  // A message as its row: Append serializes it on the sender's thread, so the one writer
  // thread only binds and inserts.
  struct Pending {
    std::string room;
    int64_t seq = 0;
    int64_t sent_at_ns = 0;
    std::string user_id;
    std::string client_id;
    std::string body;  // the serialized ChatMessage
    AppendCallback done;
  };
  // The writer's connection and statements (writer thread only, after Open).
  struct Writer {
    sqlite::Db db;
    // Prepared once: sqlite3_exec parsed these two for every commit.
    sqlite::Stmt begin;
    sqlite::Stmt commit;
    sqlite::Stmt insert;
    sqlite::Stmt upsert_room;
    sqlite::Stmt delete_old;
    sqlite::Stmt delete_room_excess;
    sqlite::Stmt list_rooms;
  };
  enum class State { kOpen, kFailing, kStopping };

  SqliteStore(const Config& config, std::string epoch, StoreLock lock, sqlite::Db read_db,
              Writer writer, sqlite::Db checkpoint_db);

  // The writer thread (sqlite_writer.cc).
  void WriterLoop();
  absl::Status CommitBatch(const std::vector<Pending>& batch);
  // Deletes at most one small batch of expired messages; true if more may remain.
  bool SweepOnce();
  void ApplyTestHooks();
  // The deliverer thread (sqlite_deliverer.cc): runs committed batches' callbacks in order.
  void DeliverLoop();
  // Writer: queues a committed batch for the deliverer (which runs its callbacks).
  void HandToDeliverer(std::vector<Pending> batch);
  // Writer: waits until every batch handed over so far has been delivered.
  void WaitDelivered();
  // The checkpointer thread (sqlite_checkpointer.cc).
  void CheckpointLoop();
  void Checkpoint();

  const Config config_;
  const std::string epoch_;  // the file's seq numbering (meta.epoch), as 16 hex digits
  StoreLock lock_;
  Writer writer_;  // writer thread only
  absl::Time next_sweep_;
  // Transactions the writer committed; the checkpointer syncs when it moved.
  std::atomic<uint64_t> commits_{0};
  sqlite::Db checkpoint_db_;  // checkpointer thread only
  int wal_fd_ = -1;           // checkpointer thread only: PATH-wal, for fdatasync
  chat::Mutex checkpoint_mu_;
  chat::CondVar checkpoint_cv_;
  bool checkpoint_stop_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  std::thread checkpointer_;
  std::atomic<int64_t> max_pages_for_test_{-1};
  std::atomic<bool> sweep_now_{false};
  std::atomic<uint64_t> deleted_{0};

  // Committed batches whose callbacks have not run yet, oldest first.
  chat::Mutex deliver_mu_;
  chat::CondVar deliver_cv_;
  std::deque<std::vector<Pending>> committed_ ABSL_GUARDED_BY(deliver_mu_);
  bool delivering_ ABSL_GUARDED_BY(deliver_mu_) = false;  // callbacks are running now
  bool deliver_stop_ ABSL_GUARDED_BY(deliver_mu_) = false;
  std::thread deliverer_;

  chat::Mutex read_mu_;
  sqlite::Db read_db_ ABSL_GUARDED_BY(read_mu_);

  chat::Mutex mu_;
  chat::CondVar cv_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kOpen;
  // Why appends are refused while the writer fails a batch and everything queued behind it.
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once everything above is built
};

}  // namespace roomd
