#pragma once

// roomd's Prometheus metrics (docs/operations.md says what each means), registered once in
// chat::metrics::DefaultRegistry(). Call sites take one line: RoomdMetrics::Get().joins->Inc().
// Thread-safe; the metrics live as long as the process.

#include <array>
#include <cstdint>
#include <vector>

#include <grpcpp/support/slice.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

namespace roomd {

// What carries a session: its own Chat call, or a share of a bridge's Relay call.
enum class ConnectionKind { kChatStream, kRelaySession, kRelay };

struct RoomdMetrics {
  static RoomdMetrics& Get();

  void ConnectionOpened(ConnectionKind kind) {
    connections_total[static_cast<int>(kind)]->Inc();
    connections_open[static_cast<int>(kind)]->Inc();
  }
  void ConnectionClosed(ConnectionKind kind, const absl::Status& status) {
    connections_open[static_cast<int>(kind)]->Dec();
    if (kind != ConnectionKind::kRelay) {
      session_ends[static_cast<int>(status.code()) % kCodes]->Inc();
    }
  }
  void Joined() {
    joins->Inc();
    members->Inc();
  }
  void Left() {
    leaves->Inc();
    members->Dec();
  }
  void MessageRejected(const absl::Status& status) {
    messages_rejected[static_cast<int>(status.code()) % kCodes]->Inc();
  }
  void LinkDown() {
    broker_up->Set(0);
    broker_reconnects->Inc();
  }
  // One write of `events` to a client.
  void Wrote(const std::vector<grpc::Slice>& events) {
    size_t bytes = 0;
    for (const grpc::Slice& event : events) {
      bytes += event.size();
    }
    deliveries->Inc(events.size());
    delivered_bytes->Inc(bytes);
  }
  // `events` written once for `recipients` sessions (a feed's item).
  void WroteTo(const std::vector<grpc::Slice>& events, size_t recipients) {
    size_t bytes = 0;
    for (const grpc::Slice& event : events) {
      bytes += event.size();
    }
    deliveries->Inc(events.size() * recipients);
    delivered_bytes->Inc(bytes * recipients);
  }

  static constexpr int kCodes = 17;  // absl::StatusCode 0..16
  std::array<chat::metrics::Counter*, 3> connections_total;
  std::array<chat::metrics::Gauge*, 3> connections_open;
  std::array<chat::metrics::Counter*, kCodes> session_ends;
  std::array<chat::metrics::Counter*, kCodes> messages_rejected;
  chat::metrics::Counter* joins;
  chat::metrics::Counter* leaves;
  chat::metrics::Gauge* members;
  chat::metrics::Gauge* rooms;
  chat::metrics::Counter* messages;
  chat::metrics::Counter* deliveries;
  chat::metrics::Counter* delivered_bytes;
  chat::metrics::Counter* slow_consumers;
  // Seconds from a room sequencing an event to a session collecting it for a write.
  chat::metrics::Histogram* fanout_latency;
  chat::metrics::Gauge* broker_up;
  chat::metrics::Counter* broker_reconnects;
  chat::metrics::Counter* broker_resyncs;

 private:
  RoomdMetrics();
};

}  // namespace roomd
