#pragma once

// Runs one benchmark: connects the clients at --connect_rate, waits until each has seen its
// whole room, lets the senders warm up, measures for --duration, drains, closes, and turns
// what every client recorded into a BenchResult. Runs on the calling thread (which only
// paces and polls); the clients run on --threads io_context threads (WebSocket) or on
// gRPC's threads with the senders on the io threads (gRPC).
// Lifetime: one Run() per object.

#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/ack_table.h"
#include "bench/bench_options.h"
#include "bench/bench_result.h"
#include "bench/participant.h"
#include "bench/run_state.h"
#include "bench/grpc_client.h"
#include "common/mutex.h"

namespace bench {

class WsClient;

class BenchRunner {
 public:
  explicit BenchRunner(BenchOptions options);
  ~BenchRunner();
  BenchRunner(const BenchRunner&) = delete;
  BenchRunner& operator=(const BenchRunner&) = delete;

  absl::StatusOr<BenchResult> Run();

  // Any thread: blocks until the measured interval begins (every client joined and the
  // senders warmed up), Run() returns, or `timeout` passes. True from the interval's
  // beginning until Run() returns.
  bool WaitUntilMeasuring(absl::Duration timeout);

  // True if some gRPC call did not finish in time: the process must then exit without
  // running destructors (a reaction could still touch the client).
  bool unclean_exit() const { return unclean_exit_; }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  enum class Phase { kStarting, kMeasuring, kOver };

  void SetPhase(Phase phase);

  absl::Status CreateClients();
  // --tls_ca_file: the context every wss client shares (null without it).
  absl::Status MakeTlsContext();
  // --jwt_secret_file: client i's token (sub "bench-<i>"), else "" (join with an email).
  std::string TokenFor(int index) const;
  void StartThreads();
  void StopThreads();
  void Connect(BenchResult* result);
  void Measure(BenchResult* result);
  // Every member still here has received as many messages as the others in its room.
  bool RoomsCaughtUp() const;
  // Shards with a barrier dir: says this one has joined, then waits (bounded) for the others.
  void PassBarrier(BenchResult* result);
  void Hold(BenchResult* result);
  // --churn: the last members leave while as many new ones join; waits for exact counts.
  void Churn(BenchResult* result);
  void CloseAll();
  void Collect(BenchResult* result);
  std::vector<ServerUsage> SampleServers() const;

  const BenchOptions options_;
  RunState run_;
  AckTable acks_;

  std::vector<std::unique_ptr<boost::asio::io_context>> iocs_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<ChatStub>> stubs_;

  std::unique_ptr<boost::asio::ssl::context> tls_context_;
  std::vector<std::unique_ptr<Participant>> participants_;
  std::vector<std::unique_ptr<WsClient>> ws_clients_;
  uint64_t ws_bytes_start_ = 0;  // WsClient::BytesRead() when the measured interval began
  // --churn: the members that join during the churn (indices clients..clients+churn-1).
  std::vector<std::unique_ptr<Participant>> late_participants_;
  std::vector<std::unique_ptr<WsClient>> late_ws_clients_;
  std::vector<std::unique_ptr<GrpcClient>> grpc_clients_;

  // Server CPU and self CPU at the start of the measured interval.
  std::vector<double> server_cpu_start_;
  double self_cpu_start_ = 0;
  int64_t measure_start_ns_ = 0;
  bool unclean_exit_ = false;

  chat::Mutex phase_mu_;
  chat::CondVar phase_changed_;
  Phase phase_ ABSL_GUARDED_BY(phase_mu_) = Phase::kStarting;
};

}  // namespace bench
