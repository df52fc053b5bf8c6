#include "roomd/broker/broker_factory.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "roomd/broker/memory_broker.h"
#include "roomd/broker/redis_broker.h"

namespace roomd {
namespace {

constexpr absl::string_view kRedisScheme = "redis://";
constexpr size_t kMaxNodeIdLength = 64;

bool IsNodeIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

}  // namespace

absl::StatusOr<BrokerAddress> ParseBrokerAddress(absl::string_view spec) {
  BrokerAddress address;
  if (spec == "memory") {
    return address;
  }
  if (!absl::StartsWith(spec, kRedisScheme)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--broker must be \"memory\" or \"redis://host:port\", not \"", spec, "\""));
  }
  absl::string_view rest = spec.substr(kRedisScheme.size());
  if (absl::EndsWith(rest, "/")) {
    rest.remove_suffix(1);
  }
  if (rest.find_first_of("@/?") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "--broker: redis URLs with a password, database or options are not supported; use "
        "redis://host:port");
  }
  absl::string_view port;
  if (absl::StartsWith(rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("--broker: unterminated [IPv6] host");
    }
    address.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return absl::InvalidArgumentError("--broker: expected :port after the [IPv6] host");
    }
    port = rest;
  } else {
    const size_t colon = rest.rfind(':');
    address.host = std::string(rest.substr(0, colon));
    port = colon == absl::string_view::npos ? absl::string_view() : rest.substr(colon + 1);
  }
  if (address.host.empty()) {
    return absl::InvalidArgumentError("--broker: the redis URL needs a host");
  }
  if (!port.empty() &&
      (!absl::SimpleAtoi(port, &address.port) || address.port < 1 || address.port > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("--broker: bad port \"", port, "\""));
  }
  address.redis = true;
  return address;
}

absl::Status ValidateNodeId(absl::string_view node_id) {
  if (node_id.empty() || node_id.size() > kMaxNodeIdLength) {
    return absl::InvalidArgumentError("--node_id must be 1-64 characters");
  }
  for (char c : node_id) {
    if (!IsNodeIdChar(c)) {
      return absl::InvalidArgumentError("--node_id may only use letters, digits, '.', '_', '-'");
    }
  }
  return absl::OkStatus();
}

std::string DefaultNodeId() {
  char host[HOST_NAME_MAX + 1] = {};
  std::string id;
  if (gethostname(host, sizeof(host) - 1) == 0) {
    for (const char* c = host; *c != '\0'; ++c) {
      id.push_back(IsNodeIdChar(*c) ? *c : '-');
    }
  }
  if (id.empty()) {
    id = "roomd";
  }
  id = id.substr(0, kMaxNodeIdLength - 12);
  absl::StrAppend(&id, "-", getpid());
  return id;
}

absl::Status ValidateBrokerOptions(const ServerOptions& options) {
  absl::StatusOr<BrokerAddress> address = ParseBrokerAddress(options.broker);
  if (!address.ok() || !address->redis) {
    return address.status();
  }
  if (!options.node_id.empty()) {
    if (absl::Status status = ValidateNodeId(options.node_id); !status.ok()) {
      return status;
    }
  }
  if (options.heartbeat_interval <= absl::ZeroDuration() ||
      options.presence_expiry < 2 * options.heartbeat_interval) {
    return absl::InvalidArgumentError(
        "--heartbeat_interval must be > 0 and --presence_expiry at least twice as long");
  }
  if (options.broker_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--broker_timeout must be > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Broker>> MakeBroker(const ServerOptions& options,
                                                   MessageStore* store) {
  absl::StatusOr<BrokerAddress> address = ParseBrokerAddress(options.broker);
  if (!address.ok()) {
    return address.status();
  }
  if (!address->redis) {
    return std::make_unique<MemoryBroker>(store);
  }
  RedisBroker::Config config;
  config.host = address->host;
  config.port = address->port;
  config.node_id = options.node_id.empty() ? DefaultNodeId() : options.node_id;
  config.history_size = options.history_size;
  config.sent_ledger = options.sent_ledger;
  config.presence_expiry = options.presence_expiry;
  config.heartbeat_interval = options.heartbeat_interval;
  config.timeout = options.broker_timeout;
  return std::make_unique<RedisBroker>(std::move(config));
}

}  // namespace roomd
