#pragma once

// The standard process metrics every Prometheus client exports (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc at scrape time.

#include "common/metrics/metrics.h"

namespace chat::metrics {

void AddProcessMetrics(Registry* registry);

}  // namespace chat::metrics
