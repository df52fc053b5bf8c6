#pragma once

// gRPC's own log lines (gpr_log) go through roomd's log: one format (--log_format), and
// the line gRPC writes for each failed TLS handshake (a plaintext client or a scanner
// against a TLS port, as often as it likes) is rate-limited like the bridge's: a few a
// second, then "N more ... suppressed".

#include "absl/strings/string_view.h"

namespace roomd {

// Process-wide; main calls it once, before the server starts.
void RouteGrpcLogsThroughOurs();

// True for gRPC's lines about a failed handshake (exposed for tests).
bool IsGrpcHandshakeFailure(absl::string_view message);

}  // namespace roomd
