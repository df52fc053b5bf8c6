#pragma once

// What one run measured, and its two renderings: a human summary and one JSON line.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_options.h"

namespace bench {

struct ServerUsage {
  int pid = 0;
  std::string name;
  double cpu_percent = 0;  // of one core, over the measured interval
  int64_t rss_kb = 0;      // at the end of the measured interval
  int64_t hwm_kb = 0;      // peak
  int64_t rss_before_kb = 0;  // before the first connection (idle mode)
  int64_t rss_last_join_kb = 0;  // the moment the last client joined (every shard's)
  int64_t rss_joined_kb = 0;     // with every client joined, after --sample_delay
};

struct BenchResult {
  BenchOptions options;

  int connected = 0;  // welcomed by the server
  int connect_errors = 0;
  bool settled = false;  // every client saw its whole room before the measurement
  double connect_seconds = 0;
  // Shards: every shard reached the barrier, and how long this one waited there.
  bool barrier_passed = true;
  double barrier_seconds = 0;
  double measured_seconds = 0;

  uint64_t deliveries = 0;  // messages received inside the measured interval, all clients
  uint64_t messages_sent = 0;  // sent inside the measured interval
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;

  // From each client's join to its Welcome (all clients welcomed), and how many took longer
  // than 2 s.
  int64_t welcome_p50_us = 0;
  int64_t welcome_p99_us = 0;
  int64_t welcome_max_us = 0;
  int welcome_over_2s = 0;

  // Churn (idle): members whose online count was not exact when the wait ended, and how
  // long after the churn began every count was exact.
  int churn_wrong = 0;
  double churn_settle_seconds = 0;

  uint64_t lost = 0;
  int rooms_reached = 0;  // rooms whose every member that stayed received a message
  uint64_t out_of_order = 0;
  int dropped = 0;  // clients whose connection the server ended
  uint64_t rejected = 0;
  uint64_t ack_timeouts = 0;
  uint64_t server_errors = 0;  // Error events received
  uint64_t foreign = 0;
  uint64_t rate_missed = 0;
  std::string first_drop;   // an example reason
  std::vector<std::string> client_ends;  // why each client's connection ended, by index
  std::string first_error;  // an example Error event

  std::vector<ServerUsage> servers;
  double bench_cpu_percent = 0;
  // ws: bytes the clients read from their sockets during the measured interval.
  uint64_t wire_bytes_read = 0;
  // Idle mode: (RSS after - RSS before) / connected, all servers together.
  double rss_per_connection_kb = 0;

  double DeliveriesPerSecond() const;
  // wire_bytes_read over the deliveries counted in the same interval (0 without either).
  double WireBytesPerDelivery() const;
  double ServerCpuPercent() const;
  int64_t ServerRssKb() const;
  // True when nothing went wrong: no loss, disorder, drop, rejection, connect error or timeout.
  bool Clean() const;

  std::string Summary() const;
  std::string ToJson() const;
};

}  // namespace bench
