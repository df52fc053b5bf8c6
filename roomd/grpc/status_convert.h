#pragma once

// The one place absl::Status becomes grpc::Status (at the RPC edge) and a status becomes
// a chat.v1.Error event's code name.

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace roomd {

// absl and gRPC share the canonical code numbering.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", ...: the names chat.v1.Error.code carries.
inline std::string StatusCodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

}  // namespace roomd
