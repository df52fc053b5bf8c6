#include "roomd/store/store_factory.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "roomd/store/sqlite_store.h"

namespace roomd {
namespace {

constexpr absl::string_view kSqliteScheme = "sqlite:";

absl::StatusOr<FsyncMode> ParseFsync(absl::string_view mode) {
  if (mode == "always") {
    return FsyncMode::kAlways;
  }
  if (mode == "interval") {
    return FsyncMode::kInterval;
  }
  if (mode == "off") {
    return FsyncMode::kOff;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--fsync must be always, interval or off, not \"", mode, "\""));
}

}  // namespace

absl::Status ValidateStoreOptions(const ServerOptions& o) {
  if (o.store != "memory" &&
      (!absl::StartsWith(o.store, kSqliteScheme) || o.store.size() == kSqliteScheme.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--store must be \"memory\" or \"sqlite:PATH\", not \"", o.store, "\""));
  }
  if (o.store != "memory" && o.broker != "memory") {
    return absl::InvalidArgumentError(
        "--store=sqlite works with --broker=memory; with Redis the history stays in the "
        "Redis stream (make Redis durable with appendonly, docs/deploy.md)");
  }
  if (absl::StatusOr<FsyncMode> fsync = ParseFsync(o.fsync); !fsync.ok()) {
    return fsync.status();
  }
  if (o.fsync_interval <= absl::ZeroDuration() || o.retention_sweep <= absl::ZeroDuration() ||
      o.retention_age < absl::ZeroDuration() || o.store_max_pages < 0) {
    return absl::InvalidArgumentError(
        "--retention_age and --store_max_pages must be >= 0, the store's intervals > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MessageStore>> MakeStore(const ServerOptions& o) {
  if (o.store == "memory") {
    return nullptr;
  }
  SqliteStore::Config config;
  config.path = o.store.substr(kSqliteScheme.size());
  config.fsync = *ParseFsync(o.fsync);
  config.fsync_interval = o.fsync_interval;
  config.retention_age = o.retention_age;
  config.retention_messages = o.retention_messages;
  config.retention_sweep = o.retention_sweep;
  config.max_pages = o.store_max_pages;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(config);
  if (!store.ok()) {
    return store.status();
  }
  return std::unique_ptr<MessageStore>(*std::move(store));
}

}  // namespace roomd
