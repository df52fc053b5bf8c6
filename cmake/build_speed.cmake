# What makes a first build of the daemons fast enough for a first `scripts/run` (issue 23).
# Measured on 2 cores, fresh `roomd wsbridge` Release (-O3) builds, one run each:
#   plain 293 s; unity builds 172 s (with roomd_lib's precompiled header).
# Most of the time is spent instantiating and optimizing the same gRPC, protobuf, Abseil and
# Beast templates in every file; a unity build compiles a few files as one, so each batch
# does that once. Our files keep their helpers in distinct names for it (CI builds the same
# way, so a clash fails there). -DCHAT_UNITY_BUILD=OFF rebuilds one file per edit instead.
# The Bazel build does neither, so it still catches a file that forgets an include.
option(CHAT_UNITY_BUILD "Compile the daemons' libraries a few files at a time" ON)
# roomd's files also parse gRPC's headers (through chat.grpc.pb.h) for much of their compile:
# at -O2, without unity, a precompiled header took its build from 234 s to 219 s. The bridge's
# files are dominated by Beast's instantiations: a header with Beast and gRPC made its build
# slower (270 s), one with gRPC alone too (269 s), so it has none.
option(CHAT_PRECOMPILE_HEADERS "Precompile the gRPC and protobuf headers for roomd_lib" ON)

# Batches of 6: enough files to share the work, enough batches to keep both cores busy.
function(chat_unity_build target)
  if(CHAT_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 6)
  endif()
endfunction()

function(chat_precompile_grpc_headers target)
  if(CHAT_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} PRIVATE
      <grpcpp/grpcpp.h>
      <grpcpp/impl/codegen/proto_utils.h>
      <google/protobuf/message.h>
      <google/protobuf/generated_message_reflection.h>
      <absl/status/statusor.h>
      <absl/strings/str_cat.h>
      <absl/synchronization/mutex.h>
      <absl/time/time.h>
      <absl/container/flat_hash_map.h>)
  endif()
endfunction()
