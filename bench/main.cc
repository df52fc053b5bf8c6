// chat_bench: the fan-out benchmark. Flags, then one BenchRunner run; prints a human summary
// and one JSON line (the last line of standard output).
// Exit status: 0 clean run, 3 the run finished but lost, reordered, dropped or timed out
// something, 1 it could not run, 2 bad flags.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_options.h"
#include "bench/bench_result.h"
#include "bench/bench_runner.h"
#include "bench/source_addresses.h"
#include "common/secret_file.h"

namespace {
const bench::BenchOptions kDefaults;
}  // namespace

ABSL_FLAG(std::string, mode, "ws", "ws: WebSocket JSON through wsbridge; grpc: straight to roomd");
ABSL_FLAG(std::string, target, "",
          "host:port of wsbridge (ws) or roomd (grpc); default 127.0.0.1:8080 / :50051. "
          "Several, comma-separated: client i uses target i % count (e.g. roomd nodes "
          "sharing rooms through Redis)");
ABSL_FLAG(std::string, room, kDefaults.room, "room name (with --rooms > 1: NAME-0, NAME-1, ...)");
ABSL_FLAG(int, rooms, kDefaults.rooms, "rooms the clients are spread over (client i: i % rooms)");
ABSL_FLAG(int, clients, kDefaults.clients, "connections, each a distinct user");
ABSL_FLAG(int, senders, kDefaults.senders, "clients 0..senders-1 also send");
ABSL_FLAG(double, rate, kDefaults.rate, "messages per second per sender (0: as fast as the window allows)");
ABSL_FLAG(int, window, kDefaults.window, "unacknowledged own messages per sender");
ABSL_FLAG(std::string, ack, "all",
          "echo: a message is acknowledged by the sender's own copy; all: once every receiver "
          "has it (fair saturation: senders never outrun readers)");
ABSL_FLAG(std::size_t, text_bytes, kDefaults.text_bytes, "pad message texts to this many bytes");
ABSL_FLAG(bool, idle, false, "only hold the connections for --duration; report RSS per connection");
ABSL_FLAG(int, churn, 0,
          "idle, ws, one room: halfway through, this many leave and as many join within 1 s; "
          "then every member's online count must be exact");
ABSL_FLAG(absl::Duration, warmup, kDefaults.warmup, "sending before the measured interval");
ABSL_FLAG(absl::Duration, duration, kDefaults.duration, "measured interval (idle: holding time)");
ABSL_FLAG(double, connect_rate, kDefaults.connect_rate, "new connections per second (0: all at once)");
ABSL_FLAG(absl::Duration, connect_timeout, kDefaults.connect_timeout,
          "longest wait for every client to join and see its whole room");
ABSL_FLAG(absl::Duration, drain_timeout, kDefaults.drain_timeout,
          "after the measured interval, longest wait for unacknowledged messages");
ABSL_FLAG(absl::Duration, ack_timeout, kDefaults.ack_timeout,
          "a message not acknowledged within this is given up (and counted)");
ABSL_FLAG(absl::Duration, close_timeout, kDefaults.close_timeout, "longest wait for closing");
ABSL_FLAG(int, threads, kDefaults.threads, "io_context threads of the load generator");
ABSL_FLAG(std::string, source_addresses, "-1",
          "ws to a loopback target: connect from these addresses in turn: a range such as "
          "127.0.0.2-127.0.0.9, or N (127.0.0.2 .. 127.0.0.(1+N); 0: the kernel's choice; -1: "
          "enough that each address holds at most 250 clients, at least 4, after those of "
          "lower shards)");
ABSL_FLAG(int, shard, kDefaults.shard,
          "this process is shard N of --shards, all with the same flags: its rooms and users "
          "are numbered after those of shards 0..N-1");
ABSL_FLAG(int, shards, kDefaults.shards, "processes sharing one load (see --shard)");
ABSL_FLAG(std::string, barrier_dir, "",
          "with --shards > 1: after joining, wait (within --connect_timeout) until every "
          "shard has joined (files DIR/joined-N), then sample the servers and go on");
ABSL_FLAG(absl::Duration, sample_delay, kDefaults.sample_delay,
          "once every client joined (and the barrier), wait this long before sampling the "
          "servers' memory held (the sample at the last join is reported too)");
ABSL_FLAG(int, grpc_channels, kDefaults.grpc_channels, "grpc: HTTP/2 connections to spread clients over");
ABSL_FLAG(bool, deflate, kDefaults.deflate,
          "ws: offer permessage-deflate, as browsers do, and inflate compressed frames");
ABSL_FLAG(bool, accept_batches, kDefaults.accept_batches,
          "grpc: join with accept_batches (roomd may send batch events under load)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "ws: connect with wss (TLS), verifying the bridge's certificate against this CA (PEM)");
ABSL_FLAG(std::string, jwt_secret_file, "",
          "ws: roomd runs --auth=jwt with this HS256 secret; each client joins with its own "
          "token (sub bench-<i>)");
ABSL_FLAG(std::vector<std::string>, server_pids, {},
          "comma-separated PIDs of the server processes to sample (CPU, RSS) from /proc");
ABSL_FLAG(std::string, json_out, "", "also append the JSON result line to this file");
ABSL_FLAG(std::string, label, "", "a name for this run, copied into the output");

namespace {

int Usage(const std::string& message) {
  std::fprintf(stderr, "chat_bench: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "chat_bench: fan-out benchmark of wsbridge + roomd (or roomd alone over gRPC).\n"
      "Usage: chat_bench --mode=ws --target=127.0.0.1:8080 --clients=1000 --senders=10 "
      "--server_pids=PID1,PID2");
  absl::ParseCommandLine(argc, argv);

  bench::BenchOptions options;
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "ws") {
    options.mode = bench::Mode::kWebSocket;
  } else if (mode == "grpc") {
    options.mode = bench::Mode::kGrpc;
  } else {
    return Usage("--mode must be ws or grpc");
  }
  options.target = absl::GetFlag(FLAGS_target);
  if (options.target.empty()) {
    options.target = options.mode == bench::Mode::kGrpc ? "127.0.0.1:50051" : "127.0.0.1:8080";
  }
  const std::string ack = absl::GetFlag(FLAGS_ack);
  if (ack == "all") {
    options.ack = bench::AckMode::kAll;
  } else if (ack == "echo") {
    options.ack = bench::AckMode::kEcho;
  } else {
    return Usage("--ack must be echo or all");
  }
  options.room = absl::GetFlag(FLAGS_room);
  options.rooms = absl::GetFlag(FLAGS_rooms);
  options.clients = absl::GetFlag(FLAGS_clients);
  options.senders = absl::GetFlag(FLAGS_senders);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.window = absl::GetFlag(FLAGS_window);
  options.text_bytes = absl::GetFlag(FLAGS_text_bytes);
  options.idle = absl::GetFlag(FLAGS_idle);
  options.churn = absl::GetFlag(FLAGS_churn);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.connect_rate = absl::GetFlag(FLAGS_connect_rate);
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.ack_timeout = absl::GetFlag(FLAGS_ack_timeout);
  options.close_timeout = absl::GetFlag(FLAGS_close_timeout);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (absl::Status status =
          bench::ParseSourceAddresses(absl::GetFlag(FLAGS_source_addresses), &options);
      !status.ok()) {
    return Usage(std::string(status.message()));
  }
  options.shard = absl::GetFlag(FLAGS_shard);
  options.shards = absl::GetFlag(FLAGS_shards);
  options.barrier_dir = absl::GetFlag(FLAGS_barrier_dir);
  options.sample_delay = absl::GetFlag(FLAGS_sample_delay);
  options.grpc_channels = absl::GetFlag(FLAGS_grpc_channels);
  options.accept_batches = absl::GetFlag(FLAGS_accept_batches);
  options.deflate = absl::GetFlag(FLAGS_deflate);
  options.tls_ca_file = absl::GetFlag(FLAGS_tls_ca_file);
  if (const std::string path = absl::GetFlag(FLAGS_jwt_secret_file); !path.empty()) {
    absl::StatusOr<std::string> secret = chat::ReadSecretFile(path, "--jwt_secret_file");
    if (!secret.ok()) {
      return Usage(std::string(secret.status().message()));
    }
    options.jwt_secret = *std::move(secret);
  }
  if (options.mode != bench::Mode::kWebSocket &&
      (!options.tls_ca_file.empty() || !options.jwt_secret.empty())) {
    return Usage("--tls_ca_file and --jwt_secret_file are for --mode=ws");
  }
  options.json_out = absl::GetFlag(FLAGS_json_out);
  options.label = absl::GetFlag(FLAGS_label);
  for (const std::string& pid : absl::GetFlag(FLAGS_server_pids)) {
    int value = 0;
    if (!absl::SimpleAtoi(pid, &value) || value <= 0) {
      return Usage(absl::StrCat("--server_pids: not a PID: ", pid));
    }
    options.server_pids.push_back(value);
  }

  if (options.clients < 1 || options.clients > 1000000) {
    return Usage("--clients must be 1..1000000");
  }
  if (options.idle) {
    options.senders = 0;
  }
  if (options.senders < 0 || options.senders > options.clients) {
    return Usage("--senders must be 0..clients");
  }
  if (options.rooms < 1 || options.rooms > options.clients) {
    return Usage("--rooms must be 1..clients");
  }
  if (options.churn < 0 || options.churn > options.clients / 2 ||
      (options.churn > 0 &&
       (!options.idle || options.mode != bench::Mode::kWebSocket || options.rooms != 1))) {
    return Usage("--churn needs --idle, --mode=ws, one room, and at most clients/2");
  }
  if (options.window < 1 || options.window > 100000) {
    return Usage("--window must be 1..100000");
  }
  if (options.rate < 0 || options.threads < 1 || options.threads > 256 ||
      options.grpc_channels < 1 || options.grpc_channels > 1024) {
    return Usage("--rate >= 0, --threads 1..256, --grpc_channels 1..1024");
  }
  if (options.shards < 1 || options.shards > 1000 || options.shard < 0 ||
      options.shard >= options.shards) {
    return Usage("--shards must be 1..1000 and --shard 0..shards-1");
  }
  if (options.duration <= absl::ZeroDuration() || options.duration > absl::Hours(1) ||
      options.warmup < absl::ZeroDuration() || options.warmup > absl::Hours(1)) {
    return Usage("--duration must be in (0, 1h], --warmup in [0, 1h]");
  }
  if (options.text_bytes > 4096) {
    return Usage("--text_bytes must be at most 4096 (roomd's default text limit)");
  }

  bench::BenchRunner runner(options);
  absl::StatusOr<bench::BenchResult> result = runner.Run();
  if (!result.ok()) {
    std::fprintf(stderr, "chat_bench: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  const std::string json = result->ToJson();
  std::fputs(result->Summary().c_str(), stdout);
  std::fputs((json + "\n").c_str(), stdout);
  std::fflush(stdout);
  if (!options.json_out.empty()) {
    std::ofstream out(options.json_out, std::ios::app);
    out << json << "\n";
  }
  const int code = result->Clean() ? 0 : 3;
  if (runner.unclean_exit()) {
    std::fflush(stderr);
    _exit(code);  // a gRPC reaction may still run: skip the destructors
  }
  return code;
}
