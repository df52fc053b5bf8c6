// roomd: flags, signals and wiring only; everything else lives in roomd_lib.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/heap_trimmer.h"
#include "common/log.h"
#include "common/metrics/metrics_server.h"
#include "roomd/core/logger.h"
#include "roomd/core/roomd_metrics.h"
#include "roomd/core/server_options.h"
#include "roomd/grpc/grpc_log.h"
#include "roomd/grpc/server.h"

namespace {
const roomd::ServerOptions kDefaults;
}  // namespace

ABSL_FLAG(std::string, listen, kDefaults.listen, "address to listen on (host:port; port 0 picks one)");
ABSL_FLAG(size_t, history_size, kDefaults.history_size,
          "messages each room keeps for Welcome.history and GetHistory");
ABSL_FLAG(size_t, max_text_bytes, kDefaults.max_text_bytes, "largest message text, in bytes");
ABSL_FLAG(size_t, max_client_id_bytes, kDefaults.max_client_id_bytes,
          "largest Send.client_id, in bytes");
ABSL_FLAG(double, rate, kDefaults.rate_per_second,
          "messages per second a session may send (token bucket refill; typing has its own)");
ABSL_FLAG(double, rate_burst, kDefaults.rate_burst, "token bucket size (burst of messages)");
ABSL_FLAG(size_t, max_connections, kDefaults.max_connections,
          "Chat streams the server accepts at once (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(size_t, max_connections_per_room, kDefaults.max_connections_per_room,
          "connections one room accepts (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(size_t, presence_coalesce_above, kDefaults.presence_coalesce_above,
          "above this many connections a room sends one Presence per --presence_interval "
          "and Welcome carries the first page of the online list only");
ABSL_FLAG(absl::Duration, presence_interval, kDefaults.presence_interval,
          "a big room's presence tick");
ABSL_FLAG(size_t, presence_max_users, kDefaults.presence_max_users,
          "users one coalesced Presence lists; more make it `truncated` (count only)");
ABSL_FLAG(size_t, presence_page_size, kDefaults.presence_page_size,
          "users in Welcome's first page and in a page asked with page_size 0");
ABSL_FLAG(size_t, presence_max_page_size, kDefaults.presence_max_page_size,
          "the largest page_size a request gets");
ABSL_FLAG(size_t, max_connections_per_user, kDefaults.max_connections_per_user,
          "connections one user (email) may have in one room (RESOURCE_EXHAUSTED beyond; "
          "0: no limit)");
ABSL_FLAG(size_t, max_rooms, kDefaults.max_rooms,
          "rooms the server keeps; at the limit the longest-idle empty room is dropped, "
          "and if none is empty new rooms are refused (RESOURCE_EXHAUSTED)");
ABSL_FLAG(size_t, max_outbound_bytes, kDefaults.max_outbound_bytes,
          "bytes queued for one session before it is dropped as a slow consumer "
          "(RESOURCE_EXHAUSTED \"slow consumer\")");
ABSL_FLAG(absl::Duration, join_timeout, kDefaults.join_timeout,
          "a stream that sends no join this long after it starts is ended DEADLINE_EXCEEDED");
ABSL_FLAG(absl::Duration, typing_timeout, kDefaults.typing_timeout,
          "a typing notice ends by itself after this long without a refresh");
ABSL_FLAG(size_t, max_batch_events, kDefaults.max_batch_events,
          "events coalesced into one write when a session is behind");
ABSL_FLAG(size_t, max_batch_bytes, kDefaults.max_batch_bytes,
          "bytes coalesced into one write when a session is behind");
ABSL_FLAG(absl::Duration, shutdown_grace, kDefaults.shutdown_grace,
          "on SIGINT/SIGTERM, how long streams get to end before they are cancelled");
ABSL_FLAG(absl::Duration, keepalive_time, kDefaults.keepalive_time,
          "idle time before the server pings a client to find dead peers (0 disables)");
ABSL_FLAG(absl::Duration, keepalive_timeout, kDefaults.keepalive_timeout,
          "how long a keepalive ping may go unanswered before the connection is closed");
ABSL_FLAG(std::string, broker, kDefaults.broker,
          "where rooms live: \"memory\" (this process alone) or \"redis://host:port\" (rooms "
          "shared by every roomd node using that Redis; docs/deploy.md)");
ABSL_FLAG(std::string, node_id, "",
          "this node's name in a shared broker, 1-64 of [A-Za-z0-9._-] (default: host-pid)");
ABSL_FLAG(absl::Duration, presence_expiry, kDefaults.presence_expiry,
          "shared broker: a node silent this long is declared dead and its users leave "
          "every room");
ABSL_FLAG(absl::Duration, heartbeat_interval, kDefaults.heartbeat_interval,
          "shared broker: how often this node says it is alive (and clears out dead nodes); "
          "at most half of --presence_expiry");
ABSL_FLAG(std::string, log_format, "text",
          "log lines as \"text\" (time, daemon, message) or \"json\" (one object per line)");
ABSL_FLAG(absl::Duration, malloc_trim_interval, absl::Seconds(10),
          "this often, if the RSS grew by 8 MB since the last trim, give malloc's free pages "
          "back to the kernel (malloc_trim; 0: never)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port serving Prometheus metrics at /metrics (empty: none; port 0 picks one)");
ABSL_FLAG(absl::Duration, broker_timeout, kDefaults.broker_timeout,
          "shared broker: a Redis reply this late means the link is broken (sends fail "
          "UNAVAILABLE until it is re-established)");

ABSL_FLAG(std::string, auth, kDefaults.auth,
          "who participants are: \"open\" (the email a client claims) or \"jwt\" (a signed "
          "token on every session and call: docs/security.md)");
ABSL_FLAG(std::string, jwt_secret_file, "",
          "--auth=jwt with HS256: the secret is this file's bytes (one trailing newline "
          "dropped; at least 32 bytes)");
ABSL_FLAG(std::string, jwt_public_key_file, "",
          "--auth=jwt with RS256 or ES256: a PEM public key (RSA, or EC P-256)");
ABSL_FLAG(std::string, jwt_issuer, "", "--auth=jwt: tokens must have this iss (when set)");
ABSL_FLAG(std::string, jwt_audience, "", "--auth=jwt: tokens' aud must hold this (when set)");
ABSL_FLAG(absl::Duration, jwt_leeway, kDefaults.jwt_leeway,
          "--auth=jwt: clock skew allowed on exp and nbf");
ABSL_FLAG(std::string, relay_secret_file, "",
          "a Relay call must send this file's secret in metadata chat-relay-secret "
          "(required with --auth=jwt)");

ABSL_FLAG(std::string, tls_cert_file, "",
          "TLS on --listen: the server's PEM certificate chain (re-read every 10 s when it "
          "changes)");
ABSL_FLAG(std::string, tls_key_file, "", "TLS on --listen: the certificate's PEM private key");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "mutual TLS: every client must present a certificate signed by this PEM CA; such "
          "a certificate also admits Relay calls");
ABSL_FLAG(std::string, store, kDefaults.store,
          "where history is kept: \"memory\" (each room's last --history_size messages, lost "
          "on restart) or \"sqlite:PATH\" (every message in a SQLite file in WAL mode; a "
          "message is acknowledged once committed; PATH.lock keeps a second roomd out)");
ABSL_FLAG(std::string, fsync, kDefaults.fsync,
          "sqlite store: always (each group commit is fsynced before its messages are "
          "acknowledged: survives power loss), interval (fsynced every --fsync_interval: a "
          "power loss may lose that much), off (never: a power loss may lose more and damage "
          "the file); every mode survives a crash or kill -9 of roomd");
ABSL_FLAG(absl::Duration, fsync_interval, kDefaults.fsync_interval,
          "sqlite store, --fsync=interval: the longest time between fsyncs");
ABSL_FLAG(absl::Duration, retention_age, kDefaults.retention_age,
          "sqlite store: delete messages older than this, e.g. 720h (0: keep forever)");
ABSL_FLAG(size_t, retention_messages, kDefaults.retention_messages,
          "sqlite store: keep only each room's latest N messages (0: no limit)");
ABSL_FLAG(absl::Duration, retention_sweep, kDefaults.retention_sweep,
          "sqlite store: how often expired messages are looked for (deleted in batches of "
          "500 between commits)");
ABSL_FLAG(int64_t, store_max_pages, kDefaults.store_max_pages,
          "sqlite store: SQLite's max_page_count (0: its default), e.g. to rehearse a full "
          "disk: sends then fail UNAVAILABLE \"history store full\"");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the chat daemon: gRPC service chat.v1.ChatService, with server reflection and "
      "grpc.health.v1.\nUsage: roomd [--listen=127.0.0.1:50051] [flags]\n"
      "SIGINT/SIGTERM end every stream UNAVAILABLE and exit 0; SIGHUP reloads the JWT key "
      "and the relay secret. "
      "One log line per connect, disconnect and error goes to stderr.");
  // --help lists this file's flags (absl would otherwise look for roomd.cc or roomd_main.cc).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "roomd/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  chat::LogFormat log_format = chat::LogFormat::kText;
  if (!chat::ParseLogFormat(absl::GetFlag(FLAGS_log_format), &log_format)) {
    std::fprintf(stderr, "roomd: --log_format must be text or json\n");
    return 2;
  }
  chat::SetLogFormat(log_format);
  roomd::RouteGrpcLogsThroughOurs();
  // Debian's libabsl is built without NDEBUG, so each absl::Mutex lock (gRPC takes many)
  // would also update a process-wide lock-order graph under a global lock: a debugging
  // aid the tests keep, off in the daemons.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  roomd::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.history_size = absl::GetFlag(FLAGS_history_size);
  options.max_text_bytes = absl::GetFlag(FLAGS_max_text_bytes);
  options.max_client_id_bytes = absl::GetFlag(FLAGS_max_client_id_bytes);
  options.rate_per_second = absl::GetFlag(FLAGS_rate);
  options.rate_burst = absl::GetFlag(FLAGS_rate_burst);
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.max_connections_per_room = absl::GetFlag(FLAGS_max_connections_per_room);
  options.presence_coalesce_above = absl::GetFlag(FLAGS_presence_coalesce_above);
  options.presence_interval = absl::GetFlag(FLAGS_presence_interval);
  options.presence_max_users = absl::GetFlag(FLAGS_presence_max_users);
  options.presence_page_size = absl::GetFlag(FLAGS_presence_page_size);
  options.presence_max_page_size = absl::GetFlag(FLAGS_presence_max_page_size);
  options.max_connections_per_user = absl::GetFlag(FLAGS_max_connections_per_user);
  options.max_rooms = absl::GetFlag(FLAGS_max_rooms);
  options.max_outbound_bytes = absl::GetFlag(FLAGS_max_outbound_bytes);
  options.join_timeout = absl::GetFlag(FLAGS_join_timeout);
  options.typing_timeout = absl::GetFlag(FLAGS_typing_timeout);
  options.max_batch_events = absl::GetFlag(FLAGS_max_batch_events);
  options.max_batch_bytes = absl::GetFlag(FLAGS_max_batch_bytes);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  options.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  options.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  options.broker = absl::GetFlag(FLAGS_broker);
  options.node_id = absl::GetFlag(FLAGS_node_id);
  options.presence_expiry = absl::GetFlag(FLAGS_presence_expiry);
  options.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  options.broker_timeout = absl::GetFlag(FLAGS_broker_timeout);
  options.auth = absl::GetFlag(FLAGS_auth);
  options.jwt_secret_file = absl::GetFlag(FLAGS_jwt_secret_file);
  options.jwt_public_key_file = absl::GetFlag(FLAGS_jwt_public_key_file);
  options.jwt_issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.jwt_audience = absl::GetFlag(FLAGS_jwt_audience);
  options.jwt_leeway = absl::GetFlag(FLAGS_jwt_leeway);
  options.relay_secret_file = absl::GetFlag(FLAGS_relay_secret_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.store = absl::GetFlag(FLAGS_store);
  options.fsync = absl::GetFlag(FLAGS_fsync);
  options.fsync_interval = absl::GetFlag(FLAGS_fsync_interval);
  options.retention_age = absl::GetFlag(FLAGS_retention_age);
  options.retention_messages = absl::GetFlag(FLAGS_retention_messages);
  options.retention_sweep = absl::GetFlag(FLAGS_retention_sweep);
  options.store_max_pages = absl::GetFlag(FLAGS_store_max_pages);

  // Block the stop signals in every thread (gRPC's included) and take them with sigwait:
  // no code runs in signal context.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // reload (docs/operations.md, "Signals")
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<roomd::RoomServer>> server = roomd::RoomServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "roomd: %s\n", std::string(server.status().message()).c_str());
    return absl::IsInvalidArgument(server.status()) ? 2 : 1;
  }
  roomd::Log("listening on %s", (*server)->address());
  roomd::RoomdMetrics::Get();  // every series exists from the first scrape
  std::unique_ptr<chat::metrics::MetricsServer> metrics;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen); !address.empty()) {
    absl::StatusOr<std::unique_ptr<chat::metrics::MetricsServer>> started =
        chat::metrics::MetricsServer::Start(address, &chat::metrics::DefaultRegistry());
    if (!started.ok()) {
      std::fprintf(stderr, "roomd: %s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    metrics = *std::move(started);
    roomd::Log("metrics on %s:%d/metrics", address.substr(0, address.rfind(':')),
               metrics->port());
  }
  // Started after the signal mask, which its thread inherits.
  chat::HeapTrimmer trimmer(absl::GetFlag(FLAGS_malloc_trim_interval));

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    roomd::Log("SIGHUP: %s", chat::ReloadLogFormat(argc, argv));
    if (absl::Status status = (*server)->ReloadKeys(); status.ok()) {
      roomd::Log("keys reloaded (SIGHUP)");
    } else {
      roomd::Log("error keys not reloaded, the old ones stay: %s", status.ToString());
    }
  }
  roomd::Log("shutting down (signal %d)", signal_number);
  (*server)->Shutdown();
  roomd::Log("stopped");
  return 0;
}
