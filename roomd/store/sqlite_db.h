#pragma once

// Thin RAII over the SQLite C API: a connection and a prepared statement, with errors as
// absl::Status that name the database and what was being done.

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace roomd::sqlite {

// The status for SQLite result `rc` while doing `what`: UNAVAILABLE, with kStoreFull's text
// for SQLITE_FULL so the client sees why its send was refused.
absl::Status Error(sqlite3* db, int rc, absl::string_view what);

// One connection. Not thread-safe: each user holds its own (SQLite's WAL lets a reader and
// the writer work at once). Lifetime: closes the connection when destroyed.
class Db {
 public:
  // Opens (creating if needed) the database file at `path`.
  static absl::StatusOr<Db> Open(const std::string& path);
  Db() = default;
  Db(Db&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Db& operator=(Db&& other) noexcept;
  ~Db();

  // Runs statements that return no rows.
  absl::Status Exec(const std::string& sql);
  // The one integer a PRAGMA or query returns.
  absl::StatusOr<int64_t> QueryInt(const std::string& sql);
  sqlite3* get() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement, reset for reuse. Lifetime: within its Db's.
class Stmt {
 public:
  static absl::StatusOr<Stmt> Prepare(sqlite3* db, absl::string_view sql);
  Stmt() = default;
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt();

  // Binds are 1-based, as in SQLite. Text and blobs are copied.
  void Bind(int index, int64_t value);
  void Bind(int index, absl::string_view text);
  void BindBlob(int index, absl::string_view bytes);
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step();
  // Step to the end of a statement that returns no rows, then Reset.
  absl::Status Run(absl::string_view what);
  void Reset();

  int64_t Int(int column) const;
  absl::string_view Blob(int column) const;

 private:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace roomd::sqlite
