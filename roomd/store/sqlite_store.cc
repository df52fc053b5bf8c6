#include "roomd/store/sqlite_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace roomd {
namespace {

constexpr int64_t kSchemaVersion = 1;

// The writer connection's page cache, in KiB (SQLite's default is 2 MiB).
constexpr int64_t kWriterCacheKib = 64 * 1024;

// rooms.last_seq outlives the messages retention deletes, so seq never restarts. The body
// is the serialized ChatMessage; sender and client_id are columns for the resend lookup.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS rooms (
  name TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  room TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sent_at_ns INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (sent_at_ns);
CREATE INDEX IF NOT EXISTS messages_by_client ON messages (room, user_id, client_id)
  WHERE client_id != '';
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', random());
)sql";

// The writer's busy handler, for the moments the checkpointer holds the write lock to start
// the WAL over: a short sleep per try, so the next commit starts within a fraction of a
// millisecond of the lock's release (SQLite's own handler backs off to 100 ms sleeps).
constexpr absl::Duration kBusyPoll = absl::Microseconds(200);
constexpr absl::Duration kBusyLimit = absl::Seconds(5);

int PollWhileBusy(void* /*unused*/, int tries) {
  if (tries * kBusyPoll >= kBusyLimit) {
    return 0;  // SQLITE_BUSY: the caller reports the error
  }
  absl::SleepFor(kBusyPoll);
  return 1;
}

int64_t ClampSeq(uint64_t seq) {
  return static_cast<int64_t>(std::min<uint64_t>(seq, std::numeric_limits<int64_t>::max()));
}

// Startup errors name the store: the operator sees which file is wrong.
absl::Status StartupError(const std::string& path, const absl::Status& status) {
  return absl::FailedPreconditionError(absl::StrCat(
      "history store ", path, ": ", absl::StripPrefix(status.message(), "history store: ")));
}

absl::StatusOr<sqlite::Db> OpenConnection(const SqliteStore::Config& config) {
  absl::StatusOr<sqlite::Db> db = sqlite::Db::Open(config.path);
  if (!db.ok()) {
    return db.status();
  }
  // The reader may meet the writer's checkpoint; waiting a moment beats failing.
  sqlite3_busy_timeout(db->get(), 5000);
  absl::StatusOr<int64_t> version = db->QueryInt("PRAGMA user_version");
  if (!version.ok()) {
    return StartupError(config.path, version.status());  // e.g. "file is not a database"
  }
  if (*version > kSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("history store ", config.path, " has schema version ", *version,
                     ", newer than this roomd's ", kSchemaVersion));
  }
  return db;
}

absl::StatusOr<std::vector<chat::v1::ChatMessage>> ReadBodies(sqlite::Stmt* stmt,
                                                              sqlite3* db) {
  std::vector<chat::v1::ChatMessage> messages;
  int rc;
  while ((rc = stmt->Step()) == SQLITE_ROW) {
    chat::v1::ChatMessage message;
    const absl::string_view body = stmt->Blob(0);
    if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::DataLossError("history store: a stored message does not parse");
    }
    messages.push_back(std::move(message));
  }
  if (rc != SQLITE_DONE) {
    return sqlite::Error(db, rc, "read messages");
  }
  return messages;
}

absl::StatusOr<uint64_t> ReadLastSeq(sqlite3* db, const std::string& room) {
  absl::StatusOr<sqlite::Stmt> stmt =
      sqlite::Stmt::Prepare(db, "SELECT last_seq FROM rooms WHERE name = ?1");
  if (!stmt.ok()) {
    return stmt.status();
  }
  stmt->Bind(1, room);
  const int rc = stmt->Step();
  if (rc == SQLITE_ROW) {
    return static_cast<uint64_t>(stmt->Int(0));
  }
  if (rc == SQLITE_DONE) {
    return 0;
  }
  return sqlite::Error(db, rc, "read the room's last seq");
}

// What a reader sees of one room in one read transaction (one snapshot): its last seq and
// the messages `sql` selects (?1 is the room; `bind` binds the rest).
struct RoomRead {
  uint64_t last_seq = 0;
  std::vector<chat::v1::ChatMessage> messages;
};
absl::StatusOr<RoomRead> ReadRoom(sqlite::Db& db, const std::string& room, const char* sql,
                                  absl::FunctionRef<void(sqlite::Stmt&)> bind) {
  if (absl::Status status = db.Exec("BEGIN"); !status.ok()) {
    return status;
  }
  absl::StatusOr<uint64_t> last_seq = ReadLastSeq(db.get(), room);
  absl::StatusOr<sqlite::Stmt> stmt = sqlite::Stmt::Prepare(db.get(), sql);
  absl::StatusOr<std::vector<chat::v1::ChatMessage>> messages =
      stmt.ok() ? absl::StatusOr<std::vector<chat::v1::ChatMessage>>() : stmt.status();
  if (stmt.ok()) {
    stmt->Bind(1, room);
    bind(*stmt);
    messages = ReadBodies(&*stmt, db.get());
  }
  (void)db.Exec("COMMIT");
  if (!last_seq.ok()) {
    return last_seq.status();
  }
  if (!messages.ok()) {
    return messages.status();
  }
  return RoomRead{*last_seq, *std::move(messages)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const Config& config) {
  absl::StatusOr<StoreLock> lock = StoreLock::Acquire(config.path);
  if (!lock.ok()) {
    return lock.status();
  }
  absl::StatusOr<sqlite::Db> write_db = OpenConnection(config);
  if (!write_db.ok()) {
    return write_db.status();
  }
  sqlite3_busy_handler(write_db->get(), PollWhileBusy, nullptr);
  {
    // WAL: readers never wait for the writer, and a commit is one append to the log.
    absl::StatusOr<sqlite::Stmt> wal = sqlite::Stmt::Prepare(write_db->get(),
                                                             "PRAGMA journal_mode = WAL");
    if (!wal.ok()) {
      return StartupError(config.path, wal.status());
    }
    const int rc = wal->Step();
    if (rc != SQLITE_ROW || wal->Blob(0) != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("history store ", config.path, ": cannot switch to WAL mode"));
    }
  }
  const char* synchronous = config.fsync == FsyncMode::kAlways   ? "FULL"
                            : config.fsync == FsyncMode::kInterval ? "NORMAL"
                                                                   : "OFF";
  // The checkpointer, not the writer, copies the WAL into the database (wal_autocheckpoint
  // off): a commit never waits for that copy and its fsync. The writer's page cache holds
  // the pages inserts touch (the resend index takes client ids in any order): with SQLite's
  // 2 MiB default, a batch spilled dirty pages to the WAL mid-transaction and read evicted
  // ones back with pread, a third of the writer's time under load (docs/performance.md).
  if (absl::Status status = write_db->Exec(absl::StrCat(
          "PRAGMA synchronous = ", synchronous, "; PRAGMA wal_autocheckpoint = 0;",
          "PRAGMA cache_size = -", kWriterCacheKib, ";", kSchema,
          "PRAGMA user_version = ", kSchemaVersion, ";"));
      !status.ok()) {
    return StartupError(config.path, status);
  }
  if (config.max_pages > 0) {
    if (absl::Status status =
            write_db->Exec(absl::StrCat("PRAGMA max_page_count = ", config.max_pages));
        !status.ok()) {
      return StartupError(config.path, status);
    }
  }
  // The seq numbering of every room in this file lasts as long as the file: one epoch,
  // chosen when the file was made (Welcome.epoch survives restarts).
  absl::StatusOr<int64_t> epoch = write_db->QueryInt("SELECT value FROM meta WHERE key = 'epoch'");
  if (!epoch.ok()) {
    return StartupError(config.path, epoch.status());
  }
  Writer writer;
  writer.db = *std::move(write_db);
  const std::pair<sqlite::Stmt*, const char*> statements[] = {
      {&writer.begin, "BEGIN IMMEDIATE"},
      {&writer.commit, "COMMIT"},
      {&writer.insert,
       "INSERT INTO messages (room, seq, sent_at_ns, user_id, client_id, body) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&writer.upsert_room,
       "INSERT INTO rooms (name, last_seq) VALUES (?1, ?2) "
       "ON CONFLICT (name) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)"},
      {&writer.delete_old,
       "DELETE FROM messages WHERE (room, seq) IN "
       "(SELECT room, seq FROM messages WHERE sent_at_ns < ?1 LIMIT ?2)"},
      {&writer.delete_room_excess,
       "DELETE FROM messages WHERE room = ?1 AND seq IN "
       "(SELECT seq FROM messages WHERE room = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3)"},
      {&writer.list_rooms, "SELECT name, last_seq FROM rooms"},
  };
  for (const auto& [stmt, sql] : statements) {
    absl::StatusOr<sqlite::Stmt> prepared = sqlite::Stmt::Prepare(writer.db.get(), sql);
    if (!prepared.ok()) {
      return StartupError(config.path, prepared.status());
    }
    *stmt = *std::move(prepared);
  }
  absl::StatusOr<sqlite::Db> read_db = OpenConnection(config);
  if (!read_db.ok()) {
    return read_db.status();
  }
  absl::StatusOr<sqlite::Db> checkpoint_db = OpenConnection(config);
  if (!checkpoint_db.ok()) {
    return checkpoint_db.status();
  }
  if (absl::Status status =
          checkpoint_db->Exec(absl::StrCat("PRAGMA synchronous = ", synchronous));
      !status.ok()) {
    return StartupError(config.path, status);
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      config, absl::StrFormat("%016x", static_cast<uint64_t>(*epoch)), *std::move(lock),
      *std::move(read_db), std::move(writer), *std::move(checkpoint_db)));
}

SqliteStore::SqliteStore(const Config& config, std::string epoch, StoreLock lock,
                         sqlite::Db read_db, Writer writer, sqlite::Db checkpoint_db)
    : config_(config),
      epoch_(std::move(epoch)),
      lock_(std::move(lock)),
      writer_(std::move(writer)),
      next_sweep_(absl::Now()),
      checkpoint_db_(std::move(checkpoint_db)),
      read_db_(std::move(read_db)) {
  checkpointer_ = std::thread([this] { CheckpointLoop(); });
  deliverer_ = std::thread([this] { DeliverLoop(); });
  thread_ = std::thread([this] { WriterLoop(); });
}

SqliteStore::~SqliteStore() { Shutdown(); }

absl::Status SqliteStore::Append(const chat::v1::ChatMessage& message, AppendCallback done) {
  Pending pending{message.room(),
                  ClampSeq(message.seq()),
                  message.sent_at().seconds() * 1000000000 + message.sent_at().nanos(),
                  message.from().id(),
                  message.client_id(),
                  message.SerializeAsString(),
                  std::move(done)};
  {
    chat::MutexLock lock(&mu_);
    if (state_ == State::kStopping) {
      return absl::UnavailableError("history store is shutting down");
    }
    if (state_ == State::kFailing) {
      return failure_;
    }
    queue_.push_back(std::move(pending));
  }
  cv_.Signal();
  return absl::OkStatus();
}

absl::StatusOr<StoredRoom> SqliteStore::LoadRoom(const std::string& room, size_t recent) {
  chat::MutexLock lock(&read_mu_);
  absl::StatusOr<RoomRead> read = ReadRoom(
      read_db_, room, "SELECT body FROM messages WHERE room = ?1 ORDER BY seq DESC LIMIT ?2",
      [&](sqlite::Stmt& stmt) { stmt.Bind(2, static_cast<int64_t>(recent)); });
  if (!read.ok()) {
    return read.status();
  }
  StoredRoom stored;
  stored.epoch = epoch_;
  stored.last_seq = read->last_seq;
  stored.recent.assign(read->messages.rbegin(), read->messages.rend());
  return stored;
}

absl::StatusOr<chat::v1::GetHistoryResponse> SqliteStore::History(const std::string& room,
                                                                  uint64_t after_seq,
                                                                  uint64_t before_seq,
                                                                  uint32_t limit) {
  chat::MutexLock lock(&read_mu_);
  // Backward pages take the newest rows below before_seq; forward ones the oldest above.
  absl::StatusOr<RoomRead> read = ReadRoom(
      read_db_, room,
      before_seq != 0 ? "SELECT body FROM messages WHERE room = ?1 AND seq > ?2 AND "
                        "seq < ?3 ORDER BY seq DESC LIMIT ?4"
                      : "SELECT body FROM messages WHERE room = ?1 AND seq > ?2 AND "
                        "seq < ?3 ORDER BY seq LIMIT ?4",
      [&](sqlite::Stmt& stmt) {
        stmt.Bind(2, ClampSeq(after_seq));
        stmt.Bind(3, before_seq != 0 ? ClampSeq(before_seq) : std::numeric_limits<int64_t>::max());
        stmt.Bind(4, static_cast<int64_t>(limit));
      });
  if (!read.ok()) {
    return read.status();
  }
  std::vector<chat::v1::ChatMessage>& messages = read->messages;
  if (before_seq != 0) {
    std::reverse(messages.begin(), messages.end());
  }
  chat::v1::GetHistoryResponse response;
  response.set_room(room);
  response.set_last_seq(read->last_seq);
  for (chat::v1::ChatMessage& message : messages) {
    *response.add_messages() = std::move(message);
  }
  return response;
}

absl::StatusOr<std::vector<chat::v1::RoomInfo>> SqliteStore::ListRooms() {
  chat::MutexLock lock(&read_mu_);
  absl::StatusOr<sqlite::Stmt> stmt =
      sqlite::Stmt::Prepare(read_db_.get(), "SELECT name, last_seq FROM rooms ORDER BY name");
  if (!stmt.ok()) {
    return stmt.status();
  }
  std::vector<chat::v1::RoomInfo> rooms;
  int rc;
  while ((rc = stmt->Step()) == SQLITE_ROW) {
    chat::v1::RoomInfo info;
    info.set_name(std::string(stmt->Blob(0)));
    info.set_last_seq(static_cast<uint64_t>(stmt->Int(1)));
    rooms.push_back(std::move(info));
  }
  if (rc != SQLITE_DONE) {
    return sqlite::Error(read_db_.get(), rc, "list rooms");
  }
  return rooms;
}

absl::StatusOr<std::optional<chat::v1::ChatMessage>> SqliteStore::FindByClientId(
    const std::string& room, const std::string& user_id, const std::string& client_id) {
  if (client_id.empty()) {
    return std::nullopt;
  }
  chat::MutexLock lock(&read_mu_);
  absl::StatusOr<sqlite::Stmt> stmt = sqlite::Stmt::Prepare(
      read_db_.get(),
      "SELECT body FROM messages WHERE room = ?1 AND user_id = ?2 AND client_id = ?3 AND "
      "client_id != '' ORDER BY seq DESC LIMIT 1");
  if (!stmt.ok()) {
    return stmt.status();
  }
  stmt->Bind(1, room);
  stmt->Bind(2, user_id);
  stmt->Bind(3, client_id);
  absl::StatusOr<std::vector<chat::v1::ChatMessage>> messages =
      ReadBodies(&*stmt, read_db_.get());
  if (!messages.ok()) {
    return messages.status();
  }
  if (messages->empty()) {
    return std::nullopt;
  }
  return std::move(messages->front());
}

void SqliteStore::Shutdown() {
  {
    chat::MutexLock lock(&mu_);
    if (state_ == State::kStopping && !thread_.joinable()) {
      return;
    }
    state_ = State::kStopping;
  }
  cv_.SignalAll();
  if (thread_.joinable()) {
    thread_.join();
  }
  {
    chat::MutexLock lock(&deliver_mu_);
    deliver_stop_ = true;
  }
  deliver_cv_.SignalAll();
  if (deliverer_.joinable()) {
    deliverer_.join();  // after the writer: every committed batch is delivered first
  }
  {
    chat::MutexLock lock(&checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.SignalAll();
  if (checkpointer_.joinable()) {
    checkpointer_.join();  // its last turn syncs what the writer committed last
  }
}

void SqliteStore::SetMaxPagesForTest(int64_t pages) {
  max_pages_for_test_.store(pages);
  cv_.SignalAll();
}

void SqliteStore::SweepNowForTest() {
  sweep_now_.store(true);
  cv_.SignalAll();
}

}  // namespace roomd
