#pragma once

// Every tunable of roomd in one struct, so tests build servers in-process with custom limits
// and main.cc maps flags onto it one to one.

#include <cstddef>
#include <string>

#include "absl/time/time.h"

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
  size_t max_connections_per_room = 5000;
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
};

}  // namespace roomd
