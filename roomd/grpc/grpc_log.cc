#include "roomd/grpc/grpc_log.h"

#include <grpc/support/log.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log_rate_limiter.h"
#include "roomd/core/logger.h"

namespace roomd {
namespace {

constexpr int kHandshakeFailureLinesPerSecond = 5;

chat::LogRateLimiter& HandshakeFailureLog() {
  static auto* const limiter =
      new chat::LogRateLimiter(kHandshakeFailureLinesPerSecond, absl::Seconds(1));
  return *limiter;
}

void OnGrpcLog(gpr_log_func_args* args) {
  const absl::string_view message = args->message != nullptr ? args->message : "";
  absl::string_view file = args->file != nullptr ? args->file : "?";
  file = file.substr(file.rfind('/') + 1);  // npos + 1 == 0: the whole name
  const std::string line = absl::StrCat("grpc ", gpr_log_severity_string(args->severity), " ",
                                        file, ":", args->line, ": ", message);
  if (IsGrpcHandshakeFailure(message)) {
    const chat::LogRateLimiter::Decision decision = HandshakeFailureLog().Admit(absl::Now());
    if (!decision.write) {
      return;
    }
    if (decision.suppressed > 0) {
      LogLine(chat::LogRateLimiter::SuppressedNote(decision.suppressed,
                                                   "grpc handshake failure"));
    }
  }
  LogLine(line);
}

}  // namespace

bool IsGrpcHandshakeFailure(absl::string_view message) {
  // "Handshake failed with fatal error SSL_ERROR_SSL: ..." (tsi), "Security handshake
  // failed: ...", "Handshaking failed: ..." (chttp2), depending on the version and level.
  const std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "handshake failed") ||
         absl::StrContains(lower, "handshaking failed");
}

void RouteGrpcLogsThroughOurs() { gpr_set_log_function(&OnGrpcLog); }

}  // namespace roomd
