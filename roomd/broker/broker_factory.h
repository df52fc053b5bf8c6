#pragma once

// Builds the broker --broker names, and checks the broker flags.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "roomd/broker/broker.h"
#include "roomd/core/server_options.h"
#include "roomd/store/message_store.h"

namespace roomd {

struct BrokerAddress {
  bool redis = false;  // false: memory
  std::string host;
  int port = 6379;
};

// "memory", or "redis://host[:port]" (IPv6 hosts in brackets). INVALID_ARGUMENT otherwise.
absl::StatusOr<BrokerAddress> ParseBrokerAddress(absl::string_view spec);

// Node ids: 1-64 of [A-Za-z0-9._-] (they appear in Redis keys and channel frames).
absl::Status ValidateNodeId(absl::string_view node_id);

// "<host>-<pid>", reduced to the characters a node id allows.
std::string DefaultNodeId();

// Checks the broker options (address, node id, presence timing).
absl::Status ValidateBrokerOptions(const ServerOptions& options);

// The broker for `options` (validated): MemoryBroker (answering history from `store` when
// there is one) or RedisBroker, not started.
absl::StatusOr<std::unique_ptr<Broker>> MakeBroker(const ServerOptions& options,
                                                   MessageStore* store = nullptr);

}  // namespace roomd
