#include "roomd/grpc/server.h"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/broker/broker_factory.h"
#include "roomd/core/logger.h"
#include "roomd/grpc/tls_credentials.h"
#include "roomd/store/store_factory.h"

namespace roomd {
namespace {

// Room for a ClientEvent with a maximal text and client_id plus the other fields.
constexpr size_t kEventOverheadBytes = 8 << 10;
constexpr size_t kMinReceiveBytes = 64 << 10;

int ToMillis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                             std::numeric_limits<int>::max()));
}

}  // namespace

absl::Status ValidateOptions(const ServerOptions& o) {
  if (o.listen.empty()) {
    return absl::InvalidArgumentError("--listen must not be empty");
  }
  if (o.history_size < 1 || o.max_text_bytes < 1 || o.max_connections < 1 ||
      o.max_connections_per_room < 1 || o.max_rooms < 1 || o.max_batch_events < 1 ||
      o.max_batch_bytes < 1) {
    return absl::InvalidArgumentError("sizes and limits must be at least 1");
  }
  if (o.max_text_bytes > (1 << 20)) {
    return absl::InvalidArgumentError("--max_text_bytes must be at most 1 MiB");
  }
  if (!(o.rate_per_second > 0) || !(o.rate_burst >= 1)) {
    return absl::InvalidArgumentError("--rate must be > 0 and --rate_burst >= 1");
  }
  if (o.max_outbound_bytes < 4 * (o.max_text_bytes + kEventOverheadBytes)) {
    return absl::InvalidArgumentError(
        "--max_outbound_bytes must hold at least a few of the largest messages");
  }
  if (o.typing_timeout <= absl::ZeroDuration() || o.join_timeout <= absl::ZeroDuration() ||
      o.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--typing_timeout and --join_timeout must be > 0, --shutdown_grace >= 0");
  }
  if (o.auth == "jwt" && o.relay_secret_file.empty() && o.tls_client_ca_file.empty()) {
    // Otherwise any client could open a Relay and speak for the gateway.
    return absl::InvalidArgumentError(
        "--auth=jwt needs Relay protected: --relay_secret_file or --tls_client_ca_file");
  }
  if (o.jwt_leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--jwt_leeway must be >= 0");
  }
  if (absl::Status status = ValidateStoreOptions(o); !status.ok()) {
    return status;
  }
  return ValidateBrokerOptions(o);
}

RoomServer::RoomServer(const ServerOptions& options, std::unique_ptr<MessageStore> store,
                       std::unique_ptr<Broker> broker,
                       std::unique_ptr<auth::Authenticator> auth)
    : options_(options),
      store_(std::move(store)),
      broker_(std::move(broker)),
      rooms_(options_, &timer_, broker_.get(), store_.get()),
      sessions_(options_.max_connections),
      auth_(std::move(auth)),
      service_(options_, &rooms_, &sessions_, broker_.get(), &timer_, auth_.get()) {}

absl::StatusOr<std::unique_ptr<RoomServer>> RoomServer::Start(const ServerOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) {
    return status;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  absl::StatusOr<std::unique_ptr<auth::Authenticator>> auth = auth::Authenticator::Create(options);
  if (!auth.ok()) {
    return auth.status();
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options);
  if (!credentials.ok()) {
    return credentials.status();
  }
  absl::StatusOr<std::unique_ptr<MessageStore>> store = MakeStore(options);
  if (!store.ok()) {
    return store.status();
  }
  absl::StatusOr<std::unique_ptr<Broker>> broker = MakeBroker(options, store->get());
  if (!broker.ok()) {
    return broker.status();
  }
  std::unique_ptr<RoomServer> server(
      new RoomServer(options, *std::move(store), *std::move(broker), *std::move(auth)));
  if (absl::Status status = server->broker_->Start(&server->rooms_); !status.ok()) {
    return status;
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(&server->service_);
  // Oversized client events are refused by gRPC itself (RESOURCE_EXHAUSTED).
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::max(kMinReceiveBytes, 2 * options.max_text_bytes + kEventOverheadBytes)));
  if (options.keepalive_time > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(options.keepalive_time));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               ToMillis(options.keepalive_timeout));
  }
  // Let clients (the bridge) keep idle channels alive with their own pings.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  server->service_.Publish();
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  return server;
}

RoomServer::~RoomServer() { Shutdown(); }

std::string RoomServer::address() const {
  const size_t colon = options_.listen.rfind(':');
  return absl::StrCat(options_.listen.substr(0, colon), ":", port_);
}

void RoomServer::Shutdown() {
  {
    chat::MutexLock lock(&mu_);
    if (shut_down_ || server_ == nullptr) {
      return;
    }
    shut_down_ = true;
  }
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();  // NOT_SERVING for anyone still probing
  }
  sessions_.ShutdownAll();
  service_.ShutdownRelays();
  const absl::Time deadline = absl::Now() + options_.shutdown_grace;
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  // Taking the tracker's and the relays' locks orders every session's and relay's last
  // Remove (on gRPC's threads) before what follows, which Wait() does inside libgrpc, out of
  // ThreadSanitizer's sight.
  sessions_.size();
  service_.relay_count();
  // Every stream and call has ended: this node's users can leave the shared rooms.
  broker_->Shutdown();
  if (store_ != nullptr) {
    store_->Shutdown();  // commits (and delivers to nobody) what is still queued
  }
  timer_.Stop();
}

}  // namespace roomd
