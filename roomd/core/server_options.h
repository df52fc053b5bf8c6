#pragma once

// Every tunable of roomd in one struct, so tests build servers in-process with custom limits
// and main.cc maps flags onto it one to one.

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "roomd/core/sent_ledger.h"

namespace roomd {

struct ServerOptions {
  // Address to listen on; "127.0.0.1:0" picks a free port (tests).
  std::string listen = "127.0.0.1:50051";
  // Messages a room keeps for Welcome.history and GetHistory.
  size_t history_size = 100;
  // Largest Send.text / PostRequest.text in bytes.
  size_t max_text_bytes = 4096;
  // Largest Send.client_id in bytes.
  size_t max_client_id_bytes = 128;
  // Per-session token bucket for Send (and, separately, for Typing).
  double rate_per_second = 20;
  double rate_burst = 40;
  // Admission limits.
  size_t max_connections = 20000;
  size_t max_connections_per_room = 10000;
  // Big rooms: above this many connections a room sends presence as one Presence per
  // presence_interval (lists of at most presence_max_users, else `truncated`), and Welcome
  // carries the count and the first presence_page_size users by name instead of everyone.
  // At or below it, one Presence per join or leave and the full list, as always.
  size_t presence_coalesce_above = 100;
  absl::Duration presence_interval = absl::Milliseconds(250);
  size_t presence_max_users = 32;
  // Users per page of the online list (Welcome's first page, and a request's page_size of 0);
  // a request may ask for up to presence_max_page_size.
  size_t presence_page_size = 100;
  size_t presence_max_page_size = 1000;
  // Connections one user (one email) may have in one room, e.g. open tabs; 0: no limit.
  size_t max_connections_per_user = 16;
  size_t max_rooms = 1000;
  // A stream that has not sent `join` this long after it started is ended DEADLINE_EXCEEDED.
  // Longer than the bridge's own --join_timeout (15s), so browsers see the bridge's answer.
  absl::Duration join_timeout = absl::Seconds(30);
  // Bytes a session may have queued but unsent before it is dropped as a slow consumer.
  size_t max_outbound_bytes = 1 << 20;
  // A typing notice ends by itself after this long without a refresh.
  absl::Duration typing_timeout = absl::Seconds(5);
  // Which sends each user's resend finds (Send.client_id), in memory and in Redis alike.
  // No flag: the protocol promises the defaults; tests shrink them.
  SentLedgerLimits sent_ledger;
  // Coalescing cap of one write (events are batched only when a session is behind).
  size_t max_batch_events = 256;
  size_t max_batch_bytes = 256 << 10;
  // How long Shutdown waits for streams to end before cancelling what is left.
  absl::Duration shutdown_grace = absl::Seconds(2);
  // Keepalive pings that find dead peers (0 disables).
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);

  // Where rooms live: "memory" (this process alone) or "redis://host:port" (rooms shared by
  // every roomd node using that Redis).
  std::string broker = "memory";
  // This node's name in the shared broker; empty picks "<host>-<pid>".
  std::string node_id;
  // A node that stops heartbeating is declared dead this long after its last heartbeat, and
  // its users leave every room.
  absl::Duration presence_expiry = absl::Seconds(30);
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // A Redis command unanswered for this long means the link is broken: reconnect.
  absl::Duration broker_timeout = absl::Seconds(5);

  // Who participants are (docs/security.md): "open" (the email a client claims) or "jwt"
  // (a signed token on every session and call, verified with exactly one of the two keys).
  std::string auth = "open";
  std::string jwt_secret_file;      // HS256
  std::string jwt_public_key_file;  // RS256 or ES256 (PEM)
  std::string jwt_issuer;           // `iss` must equal it when set
  std::string jwt_audience;         // `aud` must hold it when set
  absl::Duration jwt_leeway = absl::Seconds(30);  // clock skew allowed on exp and nbf
  // A Relay call must present this file's secret in metadata chat-relay-secret (required
  // with --auth=jwt).
  std::string relay_secret_file;

  // TLS on --listen (docs/security.md): a PEM certificate chain and its key; with a client
  // CA, every client must present a certificate it signed (mutual TLS), which also admits
  // Relay calls.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Where history is kept (memory broker): "memory" (each room's ring, lost on restart) or
  // "sqlite:PATH" (every message, on disk, acknowledged only once committed).
  std::string store = "memory";
  // "always", "interval" or "off": how commits reach the disk (docs/deploy.md).
  std::string fsync = "interval";
  absl::Duration fsync_interval = absl::Seconds(1);
  // Retention (sqlite store): messages older than this are deleted (0: kept forever)...
  absl::Duration retention_age = absl::ZeroDuration();
  // ...and so are all but each room's latest N (0: no limit).
  size_t retention_messages = 0;
  // How often expired messages are looked for.
  absl::Duration retention_sweep = absl::Seconds(10);
  // SQLite's max_page_count for the store (0: SQLite's default): caps its size, e.g. to
  // rehearse a full disk.
  int64_t store_max_pages = 0;
};

}  // namespace roomd
