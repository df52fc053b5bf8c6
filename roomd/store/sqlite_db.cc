#include "roomd/store/sqlite_db.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "roomd/store/message_store.h"

namespace roomd::sqlite {

absl::Status Error(sqlite3* db, int rc, absl::string_view what) {
  if ((rc & 0xff) == SQLITE_FULL) {
    return absl::UnavailableError(kStoreFull);
  }
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::UnavailableError(absl::StrCat("history store: ", what, ": ", detail));
}

absl::StatusOr<Db> Db::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (its owner's lock).
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = absl::FailedPreconditionError(
        absl::StrCat("cannot open history store ", path, ": ",
                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return Db(db);
}

Db& Db::operator=(Db&& other) noexcept {
  std::swap(db_, other.db_);
  return *this;
}

Db::~Db() { sqlite3_close(db_); }

absl::Status Db::Exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(db_, rc, sql);
}

absl::StatusOr<int64_t> Db::QueryInt(const std::string& sql) {
  absl::StatusOr<Stmt> stmt = Stmt::Prepare(db_, sql);
  if (!stmt.ok()) {
    return stmt.status();
  }
  const int rc = stmt->Step();
  if (rc != SQLITE_ROW) {
    return Error(db_, rc, sql);
  }
  return stmt->Int(0);
}

absl::StatusOr<Stmt> Stmt::Prepare(sqlite3* db, absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(db, rc, absl::StrCat("prepare ", sql));
  }
  return Stmt(db, stmt);
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  std::swap(db_, other.db_);
  std::swap(stmt_, other.stmt_);
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Stmt::Bind(int index, absl::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Stmt::BindBlob(int index, absl::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_TRANSIENT);
}

int Stmt::Step() { return sqlite3_step(stmt_); }

absl::Status Stmt::Run(absl::string_view what) {
  int rc = Step();
  while (rc == SQLITE_ROW) {
    rc = Step();
  }
  Reset();
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(db_, rc, what);
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

absl::string_view Stmt::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? absl::string_view()
                         : absl::string_view(static_cast<const char*>(data), size);
}

}  // namespace roomd::sqlite
