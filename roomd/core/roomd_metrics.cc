#include "roomd/core/roomd_metrics.h"

#include "absl/status/status.h"
#include "common/metrics/process_metrics.h"

namespace roomd {
namespace {

using chat::metrics::DefaultRegistry;

constexpr const char* kKindNames[] = {"chat_stream", "relay_session", "relay"};

}  // namespace

RoomdMetrics& RoomdMetrics::Get() {
  static RoomdMetrics* const metrics = new RoomdMetrics();  // never destroyed
  return *metrics;
}

RoomdMetrics::RoomdMetrics() {
  chat::metrics::Registry& r = DefaultRegistry();
  chat::metrics::AddProcessMetrics(&r);
  for (int kind = 0; kind < 3; ++kind) {
    const chat::metrics::Labels labels = {{"kind", kKindNames[kind]}};
    connections_total[kind] = r.AddCounter(
        "chat_connections_total",
        "Connections accepted, by kind (chat_stream: a Chat call; relay_session: a session "
        "carried by a bridge's Relay call; relay: a Relay call).",
        labels);
    connections_open[kind] =
        r.AddGauge("chat_connections", "Connections open now, by kind.", labels);
  }
  for (int code = 0; code < kCodes; ++code) {
    const chat::metrics::Labels labels = {
        {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}};
    session_ends[code] = r.AddCounter(
        "chat_session_ends_total",
        "Sessions (Chat streams and relay sessions) ended, by the status they ended with.",
        labels);
    messages_rejected[code] = r.AddCounter(
        "chat_messages_rejected_total",
        "Sends and unary Posts refused instead of being posted, by code.", labels);
  }
  joins = r.AddCounter("chat_joins_total", "Sessions that joined a room.");
  leaves = r.AddCounter("chat_leaves_total", "Sessions that left a room (any reason).");
  members = r.AddGauge("chat_room_members", "Sessions in a room now, over all rooms.");
  rooms = r.AddGauge("chat_rooms", "Rooms this node holds now.");
  messages = r.AddCounter("chat_messages_total", "Messages accepted from sessions and Post.");
  deliveries = r.AddCounter("chat_deliveries_total",
                            "Events written to sessions (each recipient counts once).");
  delivered_bytes = r.AddCounter("chat_delivered_bytes_total",
                                 "Bytes of serialized events written to sessions.");
  slow_consumers = r.AddCounter("chat_slow_consumer_disconnects_total",
                                "Sessions dropped because their backlog passed the limit.");
  fanout_latency = r.AddHistogram(
      "chat_fanout_latency_seconds",
      "Time from a room sequencing an event to a session taking it for a write, "
      "observed once per write for its oldest event.",
      chat::metrics::ExponentialBounds(0.0001, 2.5, 12));
  broker_up = r.AddGauge("chat_broker_up",
                         "1 while the shared broker (Redis) is connected, else 0; "
                         "1 with the memory broker.");
  broker_reconnects =
      r.AddCounter("chat_broker_reconnects_total",
                   "Times the Redis link was lost (reconnect attempts follow each).");
  broker_resyncs = r.AddCounter("chat_broker_resyncs_total",
                                "Times a shared room missed events and reloaded its state.");
}

}  // namespace roomd
