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

#include "absl/status/statusor.h"
#include "bench/ack_table.h"
#include "bench/bench_options.h"
#include "bench/bench_result.h"
#include "bench/participant.h"
#include "bench/run_state.h"
#include "bench/grpc_client.h"

namespace bench {

class WsClient;

class BenchRunner {
 public:
  explicit BenchRunner(BenchOptions options);
  ~BenchRunner();
  BenchRunner(const BenchRunner&) = delete;
  BenchRunner& operator=(const BenchRunner&) = delete;

  absl::StatusOr<BenchResult> Run();

  // True if some gRPC call did not finish in time: the process must then exit without
  // running destructors (a reaction could still touch the client).
  bool unclean_exit() const { return unclean_exit_; }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  absl::Status CreateClients();
  void StartThreads();
  void StopThreads();
  void Connect(BenchResult* result);
  void Measure(BenchResult* result);
  void Hold(BenchResult* result);
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

  std::vector<std::unique_ptr<Participant>> participants_;
  std::vector<std::unique_ptr<WsClient>> ws_clients_;
  std::vector<std::unique_ptr<GrpcClient>> grpc_clients_;

  // Server CPU and self CPU at the start of the measured interval.
  std::vector<double> server_cpu_start_;
  double self_cpu_start_ = 0;
  int64_t measure_start_ns_ = 0;
  bool unclean_exit_ = false;
};

}  // namespace bench
