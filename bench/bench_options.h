#pragma once

// Everything chat_bench can be told on its command line; main.cc fills it from flags.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bench {

enum class Mode { kWebSocket, kGrpc };
enum class AckMode { kEcho, kAll };

struct BenchOptions {
  Mode mode = Mode::kWebSocket;
  // ws: "host:port" of wsbridge (the path is /chat); grpc: "host:port" of roomd.
  std::string target = "127.0.0.1:8080";
  std::string room = "bench";
  // Clients are spread over this many rooms (client i joins room i % rooms). Senders need
  // every member of their room to be a receiver, so any split works for load too.
  int rooms = 1;
  int clients = 100;
  // Clients 0..senders-1 send; everyone (senders included) receives.
  int senders = 5;
  // Messages per second per sender; 0 = as fast as the window allows.
  double rate = 0;
  // Unacknowledged own messages a sender may have.
  int window = 8;
  AckMode ack = AckMode::kAll;
  // Bytes the message text is padded to (0: just the payload, about 30 bytes).
  std::size_t text_bytes = 0;
  // Only hold the connections (no sending); report RSS per connection.
  bool idle = false;
  // Idle, WebSocket, one room: halfway through --duration this many members leave and as
  // many new ones join, spread over one second; the run then waits until every member's
  // online count is exact again.
  int churn = 0;

  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
  // New connections per second while connecting (0: all at once).
  double connect_rate = 2000;
  // Longest wait for every client to be welcomed and to see the full room.
  absl::Duration connect_timeout = absl::Seconds(60);
  // After the measured interval: longest wait for unacknowledged messages to arrive.
  absl::Duration drain_timeout = absl::Seconds(30);
  // A message not acknowledged within this is given up (counted; its window slot freed).
  absl::Duration ack_timeout = absl::Seconds(30);
  // Longest wait for connections to close at the end.
  absl::Duration close_timeout = absl::Seconds(5);

  // One load spread over several processes: this one is shard `shard` of `shards`, all
  // started with the same flags. Shard k names its rooms NAME-(k*rooms) .. and its users
  // u(k*clients) .., so the shards together are shards*clients users in shards*rooms rooms,
  // each room whole inside one process (its presence and loss are checked there).
  int shard = 0;
  int shards = 1;
  // With shards > 1: after joining, create DIR/joined-<shard> and wait (within
  // connect_timeout) until every shard has, so the servers are sampled with all clients
  // held and nobody sends before everyone has joined.
  std::string barrier_dir;
  // After every client joined (and the barrier), hold this long before sampling the
  // servers' memory: a join storm's queues drain, so the sample is what the connections
  // hold. The sample at the last join is kept too.
  absl::Duration sample_delay = absl::ZeroDuration();

  // io_context threads of the tool (each runs its own io_context with its share of clients).
  int threads = 2;
  // ws: local addresses first_source_address, +1, .. (source_addresses of them) are used in
  // turn as source addresses so that 10k+ connections never run out of ephemeral ports
  // (0: let the kernel choose). kAutoSourceAddresses: enough that no address holds more
  // than kClientsPerSourceAddress (wsbridge admits 256 connections per address by
  // default), and at least 4, from 127.0.0.2 on; shard k starts after shards 0..k-1.
  static constexpr int kAutoSourceAddresses = -1;
  static constexpr int kClientsPerSourceAddress = 250;
  static constexpr uint32_t kFirstSourceAddress = (127u << 24) | 2u;  // 127.0.0.2
  int source_addresses = kAutoSourceAddresses;
  uint32_t first_source_address = kFirstSourceAddress;
  // grpc: separate HTTP/2 connections the clients are spread over.
  int grpc_channels = 1;
  // grpc: Join.accept_batches (else every ServerEvent carries one event, as bots get).
  bool accept_batches = false;
  // ws: offer permessage-deflate as browsers do (and inflate what the bridge compresses).
  bool deflate = false;

  // ws: connect over TLS (wss), trusting this CA's PEM file for the bridge's certificate.
  std::string tls_ca_file;
  // roomd --auth=jwt: the HS256 secret (bytes) each client's token is signed with; every
  // client joins with its own token (sub "bench-<index>") instead of an email.
  std::string jwt_secret;

  // Server processes to sample (CPU from /proc/PID/stat, RSS from /proc/PID/status).
  std::vector<int> server_pids;
  // Also write the JSON result line to this file.
  std::string json_out;
  // Free-form label copied into the JSON (e.g. the case name).
  std::string label;
};

}  // namespace bench
