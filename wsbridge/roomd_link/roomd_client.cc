#include "wsbridge/roomd_link/roomd_client.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace wsbridge {
namespace {

constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr int kServing = 1;  // grpc.health.v1.HealthCheckResponse.SERVING

std::shared_ptr<grpc::Channel> MakeChannel(const BridgeOptions& options) {
  grpc::ChannelArguments args;
  const int connect_ms =
      static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(options.roomd_connect_timeout), 100));
  // Fail fast and come back fast: a connection attempt lasts at most connect_ms, and after
  // roomd returns the channel retries within connect_ms (gRPC's default backoff grows to
  // two minutes, which would turn browsers away long after roomd is back).
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, connect_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, connect_ms);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(connect_ms, 100));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // A relay write from roomd carries many browsers' events (about 1 MiB at most, plus one
  // Welcome, whose history roomd bounds).
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 64 << 20);
  if (options.roomd_ca_pem.empty() && options.roomd_cert_pem.empty()) {
    return grpc::CreateCustomChannel(options.roomd, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.roomd_ca_pem;  // empty: the system's roots
  ssl.pem_cert_chain = options.roomd_cert_pem;
  ssl.pem_private_key = options.roomd_key_pem;
  return grpc::CreateCustomChannel(options.roomd, grpc::SslCredentials(ssl), args);
}

}  // namespace

RoomdClient::RoomdClient(const BridgeOptions& options, const JsonCodec* codec)
    : options_(options),
      codec_(codec),
      channel_(MakeChannel(options)),
      chat_stub_(channel_),
      health_stub_(channel_),
      relay_slots_(static_cast<std::size_t>(std::max(options.roomd_relays, 0))) {}

RoomdClient::~RoomdClient() {
  CancelAll();
  WaitForStreams(absl::Seconds(5));
}

std::shared_ptr<RoomdStream> RoomdClient::StartChat(
    std::weak_ptr<RoomdStreamObserver> observer) {
  if (options_.roomd_relays <= 0) {
    auto stream = std::make_shared<RoomdChatStream>(codec_, &cache_, options_.roomd_queue_events,
                                                    std::move(observer), &streams_);
    stream->Start(&chat_stub_);
    return stream;
  }
  chat::MutexLock lock(&relay_slots_mu_);
  std::shared_ptr<RoomdRelay>& slot = relay_slots_[next_slot_++ % relay_slots_.size()];
  if (slot != nullptr) {
    if (std::shared_ptr<RoomdStream> session = slot->Open(observer)) {
      return session;
    }
  }
  // No relay yet, or it ended (roomd restarted): a new one, opened before it starts, so
  // the session cannot miss it.
  slot = std::make_shared<RoomdRelay>(codec_, &cache_, options_.roomd_queue_events, &relays_);
  std::shared_ptr<RoomdStream> session = slot->Open(std::move(observer));
  slot->Start(&chat_stub_, options_.relay_secret);
  return session;
}

struct RoomdClient::HealthProbe {
  explicit HealthProbe(LiveSet<HealthProbe>* probes) : membership(probes, this) {}

  LiveSet<HealthProbe>::Membership membership;  // first: it is destroyed last
  grpc::ClientContext context;
  google::protobuf::StringValue request;  // service "": the server as a whole
  google::protobuf::Int32Value response;
  std::function<void(RoomdHealth)> done;
};

void RoomdClient::CheckHealth(std::function<void(RoomdHealth)> done) {
  auto probe = std::make_shared<HealthProbe>(&probes_);
  probe->done = std::move(done);
  probe->context.set_deadline(std::chrono::system_clock::now() +
                              absl::ToChronoMilliseconds(options_.roomd_connect_timeout));
  probes_.Add(probe);
  // The callback keeps the probe (its context must outlive the call), and the probe counts
  // in probes_ until it is destroyed with the callback: once shutdown's WaitForStreams
  // returns, neither an HTTP session captured by `done` nor the context's reference to the
  // channel can be released late on a gRPC thread.
  HealthProbe* const raw = probe.get();
  health_stub_.UnaryCall(
      &raw->context, kHealthCheckMethod, grpc::StubOptions(), &raw->request, &raw->response,
      [probe](grpc::Status status) {
        RoomdHealth health;
        if (status.ok()) {
          health.up = probe->response.value() == kServing;
          health.detail = health.up ? "SERVING"
                                    : absl::StrCat("health status ", probe->response.value());
        } else if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
          health.up = true;  // roomd answered; it just has no health service
          health.detail = "reachable (no health service)";
        } else {
          health.detail = absl::StrCat(
              absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
              ": ", status.error_message());
        }
        probe->done(std::move(health));
      });
}

void RoomdClient::CancelAll() {
  for (const auto& stream : streams_.Snapshot()) {
    stream->Cancel();
  }
  for (const auto& relay : relays_.Snapshot()) {
    relay->Cancel();
  }
  for (const auto& probe : probes_.Snapshot()) {
    probe->context.TryCancel();
  }
}

bool RoomdClient::WaitForStreams(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  {
    // The slots hold the relays: let them go, so the last reference is each call's own.
    chat::MutexLock lock(&relay_slots_mu_);
    for (std::shared_ptr<RoomdRelay>& slot : relay_slots_) {
      slot.reset();
    }
  }
  const bool streams_done = streams_.WaitEmpty(timeout) &&
                            relays_.WaitEmpty(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  return probes_.WaitEmpty(std::max(deadline - absl::Now(), absl::ZeroDuration())) &&
         streams_done;
}

}  // namespace wsbridge
