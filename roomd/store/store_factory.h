#pragma once

// Builds the message store --store names, and checks the store flags.

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "roomd/core/server_options.h"
#include "roomd/store/message_store.h"

namespace roomd {

// Checks --store ("memory" or "sqlite:PATH"), --fsync and retention; INVALID_ARGUMENT.
absl::Status ValidateStoreOptions(const ServerOptions& options);

// The store for `options` (validated), opened and running; nullptr for "memory".
// FAILED_PRECONDITION when the file cannot be used (see SqliteStore::Open).
absl::StatusOr<std::unique_ptr<MessageStore>> MakeStore(const ServerOptions& options);

}  // namespace roomd
