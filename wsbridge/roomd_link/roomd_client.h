#pragma once

// The bridge's side of roomd: one channel, the Chat streams started on it, and a
// non-blocking health probe.
// Lifetime: owned by BridgeServer; outlives every stream (its destructor cancels and
// waits for the ones still running).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/wrappers.pb.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/grpcpp.h>

#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/encoded_event_cache.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_chat_stream.h"
#include "wsbridge/roomd_link/roomd_relay.h"
#include "wsbridge/roomd_link/roomd_stream.h"

namespace wsbridge {

struct RoomdHealth {
  bool up = false;
  std::string detail;  // "SERVING", or why roomd is not up
};

class RoomdClient {
 public:
  RoomdClient(const BridgeOptions& options, const JsonCodec* codec);
  ~RoomdClient();
  RoomdClient(const RoomdClient&) = delete;
  RoomdClient& operator=(const RoomdClient&) = delete;

  // Starts one browser's session whose results go to `observer`: a session on one of the
  // --roomd_relays Relay calls (opened again when one ends), or with 0, a Chat call.
  std::shared_ptr<RoomdStream> StartChat(std::weak_ptr<RoomdStreamObserver> observer);

  // Asks roomd's grpc.health.v1 service, within --roomd_connect_timeout. `done` runs on a
  // gRPC thread and must not block. A roomd without the health service still counts as up.
  void CheckHealth(std::function<void(RoomdHealth)> done);

  // Cancels every stream and health probe still running (shutdown).
  void CancelAll();

  // Blocks until no stream or probe is running or `timeout` passes; shutdown and tests
  // only. A probe counts until its `done` has returned and been destroyed, so nothing it
  // captured (an HTTP session) outlives this on a gRPC thread.
  bool WaitForStreams(absl::Duration timeout);

  std::size_t stream_count() const { return streams_.size() + relays_.size(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  // grpc.health.v1 messages are wire-compatible with these well-known wrappers
  // (HealthCheckRequest{string service = 1}, HealthCheckResponse{enum status = 1}),
  // so no extra .proto is needed.
  using HealthStub = grpc::TemplatedGenericStub<google::protobuf::StringValue,
                                                google::protobuf::Int32Value>;
  struct HealthProbe;

  const BridgeOptions& options_;
  const JsonCodec* const codec_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub chat_stub_;  // raw: the streams read ServerEvents as bytes
  EncodedEventCache cache_;      // JSON of broadcasts, shared by every stream
  HealthStub health_stub_;
  LiveSet<RoomdChatStream> streams_;
  LiveSet<RoomdRelay> relays_;
  LiveSet<HealthProbe> probes_;
  chat::Mutex relay_slots_mu_;
  std::vector<std::shared_ptr<RoomdRelay>> relay_slots_ ABSL_GUARDED_BY(relay_slots_mu_);
  std::size_t next_slot_ ABSL_GUARDED_BY(relay_slots_mu_) = 0;
};

}  // namespace wsbridge
