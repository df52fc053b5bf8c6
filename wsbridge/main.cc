// wsbridge: serves the web page and bridges browser WebSockets to roomd's gRPC Chat stream.
// Only flags, signals and wiring live here; BridgeServer does the work.

#include <algorithm>
#include <csignal>
#include <functional>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/secret_file.h"
#include "common/heap_trimmer.h"
#include "common/log.h"
#include "common/metrics/metrics_server.h"
#include "wsbridge/bridge_metrics.h"
#include "wsbridge/bridge_options.h"
#include "wsbridge/bridge_server.h"
#include "wsbridge/http/web_root.h"
#include "wsbridge/log.h"

namespace {
const wsbridge::BridgeOptions kDefaults;
}  // namespace

ABSL_FLAG(std::string, listen, kDefaults.listen, "host:port for HTTP and WebSocket");
ABSL_FLAG(bool, reuse_port, kDefaults.reuse_port,
          "SO_REUSEPORT on --listen: several bridges started with it share the one port, and "
          "the kernel spreads new connections over them");
ABSL_FLAG(std::string, roomd, kDefaults.roomd, "roomd's gRPC address, host:port");
ABSL_FLAG(std::string, web_root, "",
          "folder served over HTTP (default: the source tree's web/ or one near the binary)");
ABSL_FLAG(int, threads, 0, "io threads, each its own event loop (0: one per core)");
ABSL_FLAG(std::size_t, max_frame_bytes, kDefaults.max_frame_bytes,
          "largest text frame accepted from a browser; larger ones get an error");
ABSL_FLAG(std::vector<std::string>, allowed_origins, {},
          "extra origins that may open /chat, comma-separated (\"*\": any); pages served by "
          "the bridge itself are always allowed");
ABSL_FLAG(std::size_t, max_connections_per_address, kDefaults.max_connections_per_address,
          "open connections from one client IP address; more get HTTP 429 (0: no limit)");
ABSL_FLAG(std::size_t, outbound_queue_bytes, kDefaults.outbound_queue_bytes,
          "bytes queued for one browser before it is closed as a slow consumer (4008)");
ABSL_FLAG(int, roomd_relays, kDefaults.roomd_relays,
          "Relay calls to roomd that carry the browsers' sessions; 0: one Chat call per browser");
ABSL_FLAG(std::size_t, roomd_queue_events, kDefaults.roomd_queue_events,
          "events queued towards roomd for one browser before the bridge stops reading it");
ABSL_FLAG(int, socket_send_buffer_bytes, kDefaults.socket_send_buffer_bytes,
          "SO_SNDBUF for browser sockets (0: the kernel's default)");
ABSL_FLAG(bool, permessage_deflate, kDefaults.permessage_deflate,
          "compress frames for browsers that accept permessage-deflate (--nopermessage_deflate: "
          "never)");
ABSL_FLAG(absl::Duration, ping_interval, kDefaults.ping_interval, "keepalive ping interval");
ABSL_FLAG(absl::Duration, dead_peer_timeout, kDefaults.dead_peer_timeout,
          "a browser that does not answer a ping within this is dropped");
ABSL_FLAG(absl::Duration, handshake_timeout, kDefaults.handshake_timeout,
          "limit for an HTTP request, the WebSocket upgrade and the closing handshake");
ABSL_FLAG(absl::Duration, join_timeout, kDefaults.join_timeout,
          "a browser roomd has not welcomed within this is closed (4004)");
ABSL_FLAG(absl::Duration, roomd_connect_timeout, kDefaults.roomd_connect_timeout,
          "longest wait to reach roomd, and longest reconnect backoff");
ABSL_FLAG(absl::Duration, roomd_finish_timeout, kDefaults.roomd_finish_timeout,
          "after a browser leaves, how long roomd gets to end its stream");
ABSL_FLAG(std::string, log_format, "text",
          "log lines as \"text\" (time, daemon, message) or \"json\" (one object per line)");
ABSL_FLAG(absl::Duration, malloc_trim_interval, absl::Seconds(10),
          "this often, if the RSS grew by 8 MB since the last trim, give malloc's free pages "
          "back to the kernel (malloc_trim; 0: never)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port serving Prometheus metrics at /metrics (empty: none; port 0 picks one); "
          "the same address as --listen serves them on the public port");
ABSL_FLAG(absl::Duration, shutdown_timeout, kDefaults.shutdown_timeout,
          "on SIGINT/SIGTERM, how long browsers get to close");

ABSL_FLAG(std::string, relay_secret_file, "",
          "send this file's secret (one trailing newline dropped) in metadata "
          "chat-relay-secret on every Relay call, for roomd --relay_secret_file");

ABSL_FLAG(std::string, token_endpoint, "",
          "roomd --auth=jwt: the URL where the page fetches its token (with the browser's "
          "credentials), published in /config.json");
ABSL_FLAG(std::string, roomd_ca_file, "",
          "TLS to roomd: the PEM CA that signed roomd's certificate");
ABSL_FLAG(std::string, roomd_cert_file, "",
          "mutual TLS to roomd: this bridge's PEM client certificate (with --roomd_key_file)");
ABSL_FLAG(std::string, roomd_key_file, "", "mutual TLS to roomd: the client certificate's key");
ABSL_FLAG(std::string, tls_cert_file, "",
          "https and wss on --listen: this PEM certificate (chain), with --tls_key_file; "
          "both re-read on SIGHUP for new connections");
ABSL_FLAG(std::string, tls_key_file, "", "https and wss on --listen: the certificate's key");

namespace {

// A PEM file's text ("" for no path); false (after saying why) if it cannot be read.
bool ReadPem(const std::string& path, std::string* text) {
  if (path.empty()) {
    return true;
  }
  std::ifstream in(path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  *text = bytes.str();
  if (!in || text->empty()) {
    std::fprintf(stderr, "wsbridge: cannot read %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Serves web/ and bridges browser WebSockets to roomd.");
  absl::ParseCommandLine(argc, argv);
  chat::LogFormat log_format = chat::LogFormat::kText;
  if (!chat::ParseLogFormat(absl::GetFlag(FLAGS_log_format), &log_format)) {
    std::fprintf(stderr, "wsbridge: --log_format must be text or json\n");
    return 2;
  }
  chat::SetLogFormat(log_format);
  // Debian's libabsl is built without NDEBUG, so each absl::Mutex lock (gRPC takes many)
  // would also update a process-wide lock-order graph under a global lock: a debugging
  // aid the tests keep, off in the daemons.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  wsbridge::BridgeOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.reuse_port = absl::GetFlag(FLAGS_reuse_port);
  options.roomd = absl::GetFlag(FLAGS_roomd);
  options.web_root = absl::GetFlag(FLAGS_web_root);
  if (options.web_root.empty()) {
    options.web_root = wsbridge::DefaultWebRoot().value_or("");
  }
  if (options.web_root.empty()) {
    std::fprintf(stderr, "wsbridge: no web/ folder found; pass --web_root\n");
    return 1;
  }
  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.threads <= 0) {
    options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  options.max_frame_bytes = absl::GetFlag(FLAGS_max_frame_bytes);
  options.allowed_origins = absl::GetFlag(FLAGS_allowed_origins);
  options.max_connections_per_address = absl::GetFlag(FLAGS_max_connections_per_address);
  options.outbound_queue_bytes = absl::GetFlag(FLAGS_outbound_queue_bytes);
  options.roomd_relays = absl::GetFlag(FLAGS_roomd_relays);
  options.roomd_queue_events = absl::GetFlag(FLAGS_roomd_queue_events);
  options.socket_send_buffer_bytes = absl::GetFlag(FLAGS_socket_send_buffer_bytes);
  options.permessage_deflate = absl::GetFlag(FLAGS_permessage_deflate);
  options.ping_interval = absl::GetFlag(FLAGS_ping_interval);
  options.dead_peer_timeout = absl::GetFlag(FLAGS_dead_peer_timeout);
  options.handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  options.join_timeout = absl::GetFlag(FLAGS_join_timeout);
  options.roomd_connect_timeout = absl::GetFlag(FLAGS_roomd_connect_timeout);
  options.roomd_finish_timeout = absl::GetFlag(FLAGS_roomd_finish_timeout);
  options.shutdown_timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  options.token_endpoint = absl::GetFlag(FLAGS_token_endpoint);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  if (const std::string path = absl::GetFlag(FLAGS_relay_secret_file); !path.empty()) {
    absl::StatusOr<std::string> secret = chat::ReadSecretFile(path, "relay secret");
    if (!secret.ok()) {
      std::fprintf(stderr, "wsbridge: %s\n", std::string(secret.status().message()).c_str());
      return 2;
    }
    options.relay_secret = *std::move(secret);
  }
  if (!ReadPem(absl::GetFlag(FLAGS_roomd_ca_file), &options.roomd_ca_pem) ||
      !ReadPem(absl::GetFlag(FLAGS_roomd_cert_file), &options.roomd_cert_pem) ||
      !ReadPem(absl::GetFlag(FLAGS_roomd_key_file), &options.roomd_key_pem)) {
    return 2;
  }
  if (options.roomd_cert_pem.empty() != options.roomd_key_pem.empty()) {
    std::fprintf(stderr, "wsbridge: --roomd_cert_file and --roomd_key_file go together\n");
    return 2;
  }
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  // Port 0 means "any free port", never "the public one".
  options.metrics_on_public_port = !metrics_listen.empty() && metrics_listen == options.listen &&
                                   !absl::EndsWith(metrics_listen, ":0");
  wsbridge::BridgeMetrics::Get();  // every series exists from the first scrape

  // Signals are caught on their own io_context in this thread, set up before any thread
  // starts; the handler only begins the shutdown.
  boost::asio::io_context signal_ioc;
  boost::asio::signal_set signals(signal_ioc, SIGINT, SIGTERM, SIGHUP);

  wsbridge::BridgeServer server(options);
  if (absl::Status status = server.Start(); !status.ok()) {
    std::fprintf(stderr, "wsbridge: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  const std::size_t colon = options.listen.rfind(':');
  wsbridge::LogLine(absl::StrCat("listening on ", server.tls() ? "https" : "http", "://",
                                 options.listen.substr(0, colon), ":", server.port(),
                                 "/ (roomd ", options.roomd, ", web root ", options.web_root,
                                 ")"));

  std::unique_ptr<chat::metrics::MetricsServer> metrics;
  if (!metrics_listen.empty() && !options.metrics_on_public_port) {
    absl::StatusOr<std::unique_ptr<chat::metrics::MetricsServer>> started =
        chat::metrics::MetricsServer::Start(metrics_listen, &chat::metrics::DefaultRegistry());
    if (!started.ok()) {
      std::fprintf(stderr, "wsbridge: %s\n", std::string(started.status().message()).c_str());
      return 1;
    }
    metrics = *std::move(started);
    wsbridge::LogLine(absl::StrCat("metrics on ", metrics_listen.substr(0, metrics_listen.rfind(':')),
                                   ":", metrics->port(), "/metrics"));
  }

  // SIGHUP reloads the certificate and the log format (docs/operations.md, "Signals") and
  // waits again; SIGINT/SIGTERM begin the shutdown.
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal_number) {
        if (ec) {
          return;
        }
        if (signal_number == SIGHUP) {
          wsbridge::LogLine(absl::StrCat("SIGHUP: ", chat::ReloadLogFormat(argc, argv)));
          const absl::Status status = server.ReloadTls();
          wsbridge::LogLine(status.ok() ? std::string(server.tls()
                                                          ? "SIGHUP: certificate reloaded"
                                                          : "SIGHUP: no certificate to reload")
                                        : absl::StrCat("SIGHUP: keeping the old certificate: ",
                                                       status.message()));
          signals.async_wait(on_signal);
          return;
        }
        wsbridge::LogLine(absl::StrCat("signal ", signal_number, ": closing every browser"));
        server.BeginShutdown();
      };
  signals.async_wait(on_signal);
  chat::HeapTrimmer trimmer(absl::GetFlag(FLAGS_malloc_trim_interval));
  signal_ioc.run();
  server.Wait();
  wsbridge::LogLine("stopped");
  return 0;
}
