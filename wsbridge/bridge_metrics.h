#pragma once

// wsbridge's Prometheus metrics (docs/operations.md says what each means), registered once
// in chat::metrics::DefaultRegistry(). Call sites take one line. Thread-safe; the metrics
// live as long as the process.

#include <cstddef>
#include <cstdint>

#include "common/metrics/metrics.h"

namespace wsbridge {

struct BridgeMetrics {
  static BridgeMetrics& Get();

  void Opened() {
    websockets_total->Inc();
    websockets_open->Inc();
  }
  // `events` events of `bytes` bytes in all went into a browser's queue.
  void FramesQueued(std::size_t events, std::size_t bytes) {
    frames_out->Inc(events);
    bytes_out->Inc(bytes);
  }
  // A WebSocket that was open ended with `close_code` (1006: no close frame).
  void Closed(std::uint16_t close_code);

  chat::metrics::Counter* websockets_total;
  chat::metrics::Gauge* websockets_open;
  chat::metrics::Counter* slow_consumers;
  chat::metrics::Counter* frames_out;
  chat::metrics::Counter* bytes_out;
  // permessage-deflate: frames written compressed, and their bytes before and after.
  chat::metrics::Counter* deflated_frames;
  chat::metrics::Counter* deflate_bytes_in;
  chat::metrics::Counter* deflate_bytes_out;

 private:
  BridgeMetrics();
};

}  // namespace wsbridge
