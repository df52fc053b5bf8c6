#pragma once

// The loopback source addresses the WebSocket clients connect from (--source_addresses):
// each address has its own ~28k ephemeral ports towards one destination, and wsbridge admits
// 256 connections per address, so 10k+ clients need many of them.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/bench_options.h"

namespace bench {

// Fills options->source_addresses and first_source_address from the flag's text:
// "-1" (enough, see BenchOptions), "N" (N addresses from 127.0.0.2; 0: the kernel chooses) or
// "A-B" (every address from A to B inclusive, IPv4 in 127.0.0.0/8).
absl::Status ParseSourceAddresses(absl::string_view text, BenchOptions* options);

// The addresses client i uses in turn (client i: result[i % size]), as host-order IPv4
// numbers; empty: the kernel chooses. Automatic counts start after those of the lower shards.
std::vector<uint32_t> SourceAddresses(const BenchOptions& options);

}  // namespace bench
