#pragma once

// Everything the bridge can be told on its command line; main.cc fills it from flags.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace wsbridge {

struct BridgeOptions {
  // host:port for HTTP and WebSocket; port 0 picks a free port (tests).
  std::string listen = "127.0.0.1:8080";
  // SO_REUSEPORT on the listening socket: several bridges (each with this on) listen on the
  // same `listen` address and the kernel spreads new connections over them.
  bool reuse_port = false;
  // roomd's gRPC address, host:port.
  std::string roomd = "127.0.0.1:50051";
  // https and wss on `listen`: PEM files of the certificate (chain) and its key, read again
  // by BridgeServer::ReloadTls (SIGHUP). Both empty: plain http and ws.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Folder served over HTTP; must exist.
  std::string web_root;
  // io threads, each running its own event loop (IoThreads).
  int threads = 2;

  // Largest text frame accepted from a browser; larger ones get an Error and are discarded.
  std::size_t max_frame_bytes = 64 * 1024;
  // Frames above max_frame_bytes * kDiscardFactor are not even read: Beast closes with 1009.
  static constexpr std::size_t kDiscardFactor = 16;

  // Serve /metrics on the public port too: only when --metrics_listen is that very address.
  bool metrics_on_public_port = false;

  // Origins allowed to open /chat ("http://host:port", or "*" for any). Empty: only pages
  // served by the bridge itself (the Origin's host:port equals the request's Host).
  std::vector<std::string> allowed_origins;

  // Open connections (HTTP or WebSocket) from one client IP address; more are answered
  // HTTP 429 and closed. 0: no limit.
  std::size_t max_connections_per_address = 256;

  // Bytes of frames queued for one browser before it is closed as a slow consumer.
  std::size_t outbound_queue_bytes = 1024 * 1024;
  // Relay calls to roomd that carry the browsers' sessions (round robin); 0: one Chat call
  // per browser instead.
  int roomd_relays = 4;
  // Where the page fetches its token (with credentials) before each join and refresh, for
  // roomd --auth=jwt; published in /config.json as tokenEndpoint. Empty: none.
  std::string token_endpoint;
  // Sent in metadata chat-relay-secret on every Relay call (roomd --relay_secret_file);
  // main.cc reads it from --relay_secret_file. Empty: none sent.
  std::string relay_secret;
  // TLS to roomd (PEM text; main.cc reads --roomd_ca_file, --roomd_cert_file,
  // --roomd_key_file): the CA that signed roomd's certificate, and this bridge's client
  // certificate and key for roomd's mutual TLS. All empty: plaintext.
  std::string roomd_ca_pem;
  std::string roomd_cert_pem;
  std::string roomd_key_pem;
  // Events queued towards roomd for one browser before the bridge stops reading it.
  std::size_t roomd_queue_events = 64;
  // Offer permessage-deflate to browsers (RFC 7692): the frames the bridge writes are
  // compressed for those that accept (most of a chat event repeats the last one).
  bool permessage_deflate = true;
  // Kernel send buffer per browser socket (SO_SNDBUF); 0 keeps the kernel's default.
  int socket_send_buffer_bytes = 0;

  // A ping goes to each browser this often; no pong within dead_peer_timeout closes it.
  absl::Duration ping_interval = absl::Seconds(25);
  absl::Duration dead_peer_timeout = absl::Seconds(20);
  // Limit for reading an HTTP request, the WebSocket upgrade and the closing handshake.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // After the upgrade, roomd must have welcomed the browser within this time.
  absl::Duration join_timeout = absl::Seconds(15);
  // Longest wait to connect to roomd (also the longest reconnect backoff).
  absl::Duration roomd_connect_timeout = absl::Seconds(1);
  // After a browser leaves, how long roomd gets to end its stream before it is cancelled.
  absl::Duration roomd_finish_timeout = absl::Seconds(5);
  // On SIGTERM, how long browsers get to finish their closing handshakes.
  absl::Duration shutdown_timeout = absl::Seconds(5);
};

}  // namespace wsbridge
