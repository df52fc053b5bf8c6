#include "wsbridge/bridge_metrics.h"

#include <string>

#include "common/metrics/process_metrics.h"

namespace wsbridge {

BridgeMetrics& BridgeMetrics::Get() {
  static BridgeMetrics* const metrics = new BridgeMetrics();  // never destroyed
  return *metrics;
}

BridgeMetrics::BridgeMetrics() {
  chat::metrics::Registry& r = chat::metrics::DefaultRegistry();
  chat::metrics::AddProcessMetrics(&r);
  const chat::metrics::Labels websocket = {{"kind", "websocket"}};
  websockets_total = r.AddCounter("chat_connections_total",
                                  "Connections accepted, by kind (websocket: a browser's "
                                  "WebSocket at /chat, counted once upgraded).",
                                  websocket);
  websockets_open = r.AddGauge("chat_connections", "Connections open now, by kind.", websocket);
  slow_consumers = r.AddCounter(
      "chat_slow_consumer_disconnects_total",
      "Browsers closed with 4008 because their outbound queue passed the limit.");
  frames_out = r.AddCounter("chat_deliveries_total", "Frames queued for browsers.");
  bytes_out = r.AddCounter("chat_delivered_bytes_total", "Bytes of frames queued for browsers.");
  deflated_frames = r.AddCounter(
      "chat_deflated_frames_total",
      "Frames written compressed (permessage-deflate) to the browsers that accepted it.");
  deflate_bytes_in = r.AddCounter("chat_deflate_input_bytes_total",
                                  "Payload bytes of those frames before compression.");
  deflate_bytes_out = r.AddCounter("chat_deflate_output_bytes_total",
                                   "Payload bytes of those frames as written.");
  // The common codes exist from the first scrape; others appear when first seen.
  for (const char* code : {"1000", "1001", "1006", "4008"}) {
    r.AddCounter("chat_websocket_closes_total",
                 "WebSockets ended, by close code (1006: ended without a close frame).",
                 {{"code", code}});
  }
}

void BridgeMetrics::Closed(std::uint16_t close_code) {
  websockets_open->Dec();
  // Once per connection: the registry's lookup under its lock is cheap enough here.
  chat::metrics::DefaultRegistry()
      .AddCounter("chat_websocket_closes_total", "", {{"code", std::to_string(close_code)}})
      ->Inc();
}

}  // namespace wsbridge
