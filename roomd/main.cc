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
#include "roomd/core/logger.h"
#include "roomd/core/server_options.h"
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
ABSL_FLAG(absl::Duration, broker_timeout, kDefaults.broker_timeout,
          "shared broker: a Redis reply this late means the link is broken (sends fail "
          "UNAVAILABLE until it is re-established)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the chat daemon: gRPC service chat.v1.ChatService, with server reflection and "
      "grpc.health.v1.\nUsage: roomd [--listen=127.0.0.1:50051] [flags]\n"
      "SIGINT/SIGTERM end every stream UNAVAILABLE and exit 0. "
      "One log line per connect, disconnect and error goes to stderr.");
  // --help lists this file's flags (absl would otherwise look for roomd.cc or roomd_main.cc).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "roomd/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
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

  // Block the stop signals in every thread (gRPC's included) and take them with sigwait:
  // no code runs in signal context.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<roomd::RoomServer>> server = roomd::RoomServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "roomd: %s\n", std::string(server.status().message()).c_str());
    return absl::IsInvalidArgument(server.status()) ? 2 : 1;
  }
  roomd::Log("listening on %s", (*server)->address());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  roomd::Log("shutting down (signal %d)", signal_number);
  (*server)->Shutdown();
  roomd::Log("stopped");
  return 0;
}
