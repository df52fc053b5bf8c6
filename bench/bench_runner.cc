#include "bench/bench_runner.h"

#include <openssl/ssl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>
#include <map>

#include <boost/asio/ip/tcp.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/grpc_client.h"
#include "bench/proc_sample.h"
#include "bench/sender.h"
#include "bench/source_addresses.h"
#include "bench/ws_client.h"
#include "tests/support/token_minter.h"

namespace bench {
namespace {

namespace net = boost::asio;

constexpr auto kPollInterval = std::chrono::milliseconds(10);
// After a gRPC cancel, how long the calls get to report OnDone.
constexpr auto kCancelGrace = std::chrono::seconds(5);
constexpr char kBrowserTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

void Note(const std::string& line) { std::fprintf(stderr, "chat_bench: %s\n", line.c_str()); }

void Pause(absl::Duration d) {
  if (d > absl::ZeroDuration()) {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(d));
  }
}

// Waits (polling; this is the pacing thread, not a handler) until `done` or `deadline`.
template <typename Done>
bool WaitUntil(std::chrono::steady_clock::time_point deadline, Done done) {
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

// Lets one process hold 10k+ sockets: the soft limit goes up to the hard one.
void RaiseFileLimit(int needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < static_cast<rlim_t>(needed)) {
    Note(absl::StrCat("warning: open-file limit ", limit.rlim_cur, " is below the ", needed,
                      " this run needs (raise `ulimit -Hn`)"));
  }
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::StatusOr<net::ip::tcp::endpoint> Resolve(const std::string& target) {
  const std::size_t colon = target.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(target.substr(colon + 1), &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--target needs host:port, got ", target));
  }
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(target.substr(0, colon), target.substr(colon + 1), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", target, ": ", ec.message()));
  }
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v4()) {
      return entry.endpoint();
    }
  }
  return results.begin()->endpoint();
}

}  // namespace

BenchRunner::BenchRunner(BenchOptions options)
    : options_(std::move(options)),
      run_(std::max(options_.rooms, 1)),
      acks_(options_.idle ? 1 : options_.senders, options_.window) {}

BenchRunner::~BenchRunner() { StopThreads(); }

absl::StatusOr<BenchResult> BenchRunner::Run() {
  RaiseFileLimit(options_.clients + options_.churn + 64);
  BenchResult result;
  result.options = options_;
  if (absl::Status status = CreateClients(); !status.ok()) {
    SetPhase(Phase::kOver);
    return status;
  }
  StartThreads();
  result.servers = SampleServers();  // "before" memory for idle mode
  for (ServerUsage& server : result.servers) {
    server.rss_before_kb = server.rss_kb;
  }
  Connect(&result);
  PassBarrier(&result);
  const std::vector<ServerUsage> last_join = SampleServers();
  for (std::size_t k = 0; k < last_join.size() && k < result.servers.size(); ++k) {
    result.servers[k].rss_last_join_kb = last_join[k].rss_kb;
    result.servers[k].rss_joined_kb = last_join[k].rss_kb;
  }
  if (options_.sample_delay > absl::ZeroDuration()) {
    absl::SleepFor(options_.sample_delay);
    const std::vector<ServerUsage> later = SampleServers();
    for (std::size_t k = 0; k < later.size() && k < result.servers.size(); ++k) {
      result.servers[k].rss_joined_kb = later[k].rss_kb;
    }
  }
  if (options_.idle) {
    Hold(&result);
  } else {
    Measure(&result);
  }
  CloseAll();
  StopThreads();
  Collect(&result);
  SetPhase(Phase::kOver);
  return result;
}

bool BenchRunner::WaitUntilMeasuring(absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  chat::MutexLock lock(&phase_mu_);
  while (phase_ == Phase::kStarting) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      break;
    }
    phase_changed_.WaitFor(&phase_mu_, left);
  }
  return phase_ == Phase::kMeasuring;
}

void BenchRunner::SetPhase(Phase phase) {
  chat::MutexLock lock(&phase_mu_);
  phase_ = phase;
  phase_changed_.SignalAll();
}

absl::Status BenchRunner::CreateClients() {
  const int threads = std::max(options_.threads, 1);
  for (int i = 0; i < threads; ++i) {
    iocs_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(*iocs_.back()));
  }
  const int senders = options_.idle ? 0 : options_.senders;
  run_.senders().assign(static_cast<std::size_t>(std::max(senders, 0)), nullptr);
  const int rooms = std::max(options_.rooms, 1);
  for (int i = 0; i < options_.clients; ++i) {
    const int room = i % rooms;
    auto participant = std::make_unique<Participant>(i, room, options_, &run_, &acks_);
    if (i < senders) {
      auto sender = std::make_unique<Sender>(i, room, options_, &run_, &acks_,
                                             iocs_[i % threads]->get_executor());
      run_.senders()[i] = sender.get();
      participant->set_sender(std::move(sender));
    }
    participants_.push_back(std::move(participant));
  }
  const auto room_name = [&](int room) {
    return rooms == 1 && options_.shards == 1
               ? options_.room
               : absl::StrCat(options_.room, "-", options_.shard * rooms + room);
  };

  // Several targets (roomd nodes, or bridges in front of them): client i uses target
  // i % targets, so each gets an equal share of every room.
  const std::vector<std::string> targets =
      absl::StrSplit(options_.target, ',', absl::SkipEmpty());
  if (targets.empty()) {
    return absl::InvalidArgumentError("--target needs at least one host:port");
  }
  const int target_count = static_cast<int>(targets.size());

  if (options_.mode == Mode::kGrpc) {
    const int channels = std::max(options_.grpc_channels, 1);
    for (int t = 0; t < target_count; ++t) {
      for (int c = 0; c < channels; ++c) {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(64 << 20);
        // Separate channels must not share one TCP connection.
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt("chat_bench.channel", c);
        channels_.push_back(
            grpc::CreateCustomChannel(targets[t], grpc::InsecureChannelCredentials(), args));
        stubs_.push_back(std::make_unique<ChatStub>(channels_.back()));
      }
    }
    for (auto& participant : participants_) {
      const int i = participant->index();
      const int stub = (i % target_count) * channels + (i / target_count) % channels;
      auto client = std::make_unique<GrpcClient>(stubs_[stub].get(), participant.get(),
                                                 room_name(participant->room()),
                                                 options_.accept_batches);
      if (Sender* sender = participant->sender()) {
        sender->set_transport(client.get());
      }
      grpc_clients_.push_back(std::move(client));
    }
    return absl::OkStatus();
  }

  std::vector<net::ip::tcp::endpoint> endpoints;
  for (const std::string& target : targets) {
    absl::StatusOr<net::ip::tcp::endpoint> endpoint = Resolve(target);
    if (!endpoint.ok()) {
      return endpoint.status();
    }
    endpoints.push_back(*endpoint);
  }
  // Several loopback source addresses: each has its own ephemeral port range.
  std::vector<net::ip::address> sources;
  if (endpoints[0].address().is_loopback() && endpoints[0].address().is_v4()) {
    for (const uint32_t address : SourceAddresses(options_)) {
      sources.push_back(net::ip::make_address_v4(address));
    }
  }
  if (absl::Status status = MakeTlsContext(); !status.ok()) {
    return status;
  }
  for (auto& participant : participants_) {
    const int i = participant->index();
    const net::ip::address source = sources.empty() ? net::ip::address() : sources[i % sources.size()];
    auto client = std::make_unique<WsClient>(
        *iocs_[i % threads], participant.get(), endpoints[i % target_count], source,
        targets[i % target_count], room_name(participant->room()),
        absl::ToChronoNanoseconds(options_.connect_timeout),
        WsSecurity{tls_context_.get(), TokenFor(i)}, options_.deflate);
    if (Sender* sender = participant->sender()) {
      sender->set_transport(client.get());
    }
    ws_clients_.push_back(std::move(client));
  }
  for (int k = 0; k < options_.churn; ++k) {
    const int i = options_.clients + k;
    late_participants_.push_back(std::make_unique<Participant>(i, 0, options_, &run_, &acks_));
    const net::ip::address source = sources.empty() ? net::ip::address() : sources[i % sources.size()];
    late_ws_clients_.push_back(std::make_unique<WsClient>(
        *iocs_[i % threads], late_participants_.back().get(), endpoints[0], source, targets[0],
        room_name(0), absl::ToChronoNanoseconds(options_.connect_timeout),
        WsSecurity{tls_context_.get(), TokenFor(i)}, options_.deflate));
  }
  return absl::OkStatus();
}

absl::Status BenchRunner::MakeTlsContext() {
  if (options_.tls_ca_file.empty()) {
    return absl::OkStatus();
  }
  tls_context_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  boost::system::error_code ec;
  tls_context_->load_verify_file(options_.tls_ca_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_ca_file ", options_.tls_ca_file, ": ", ec.message()));
  }
  tls_context_->set_verify_mode(net::ssl::verify_peer);
  // Offer TLS 1.3's suites in the order Chromium and Firefox do (OpenSSL's own order puts
  // AES-256 first), so the bridge seals what it seals for browsers.
  if (SSL_CTX_set_ciphersuites(tls_context_->native_handle(), kBrowserTls13Suites) != 1) {
    return absl::InternalError("TLS: OpenSSL refused the browsers' TLS 1.3 suites");
  }
  return absl::OkStatus();
}

std::string BenchRunner::TokenFor(int index) const {
  if (options_.jwt_secret.empty()) {
    return "";
  }
  roomd::testing::TokenSpec spec;
  spec.key = options_.jwt_secret;
  const int64_t user = static_cast<int64_t>(options_.shard) * options_.clients + index;
  spec.sub = absl::StrCat("bench-", user);
  spec.name = absl::StrCat("u", user);
  // Long enough for any run: a session ends when its token expires.
  spec.exp = absl::Now() + absl::Hours(2) + options_.connect_timeout + options_.warmup +
             options_.duration + options_.drain_timeout;
  return roomd::testing::MintToken(spec);
}

void BenchRunner::StartThreads() {
  for (auto& ioc : iocs_) {
    threads_.emplace_back([ioc = ioc.get()] { ioc->run(); });
  }
}

void BenchRunner::StopThreads() {
  guards_.clear();
  for (auto& ioc : iocs_) {
    ioc->stop();
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

void BenchRunner::Connect(BenchResult* result) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + absl::ToChronoNanoseconds(options_.connect_timeout);
  for (int i = 0; i < options_.clients; ++i) {
    if (options_.connect_rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / options_.connect_rate)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Note(absl::StrCat("connect timeout after starting ", i, " clients"));
      break;
    }
    if (options_.mode == Mode::kGrpc) {
      grpc_clients_[i]->Start();
    } else {
      ws_clients_[i]->Start();
    }
  }
  WaitUntil(deadline, [&] {
    return std::all_of(participants_.begin(), participants_.end(),
                       [](const auto& p) { return p->welcomed() || p->ended(); });
  });
  // Everyone welcomed and still here counts in its room; then wait until each has seen all.
  const int rooms = std::max(options_.rooms, 1);
  std::vector<int> members(static_cast<std::size_t>(rooms), 0);
  for (const auto& p : participants_) {
    if (p->welcomed() && !p->ended()) {
      ++members[p->room()];
    }
  }
  for (int r = 0; r < rooms; ++r) {
    run_.room_live(r).store(members[r], std::memory_order_relaxed);
  }
  result->settled = WaitUntil(deadline, [&] {
    return std::all_of(participants_.begin(), participants_.end(), [&](const auto& p) {
      return !p->welcomed() || p->ended() ||
             p->max_online() >= static_cast<uint32_t>(members[p->room()]);
    });
  });
  result->connect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int connected = 0;
  for (const auto& p : participants_) {
    connected += p->welcomed() ? 1 : 0;
  }
  Note(absl::StrCat(connected, "/", options_.clients, " clients joined in ",
                    absl::FormatDuration(absl::Trunc(
                        absl::Seconds(result->connect_seconds), absl::Milliseconds(1))),
                    result->settled ? "" : " (not all saw the whole room)"));
}

void BenchRunner::Measure(BenchResult* result) {
  const int senders = static_cast<int>(run_.senders().size());
  const int64_t period_ns =
      options_.rate > 0 ? static_cast<int64_t>(1e9 / options_.rate) : 0;
  for (int s = 0; s < senders; ++s) {
    if (!participants_[s]->welcomed() || participants_[s]->ended()) {
      continue;  // never joined, or already gone: it has nobody to send to
    }
    // Paced senders are spread over the period so they do not fire together.
    run_.senders()[s]->Start(senders > 0 ? period_ns * s / senders : 0);
  }
  Pause(options_.warmup);

  server_cpu_start_.clear();
  for (const ServerUsage& server : SampleServers()) {
    absl::StatusOr<ProcSample> sample = ProcSample::Read(server.pid);
    server_cpu_start_.push_back(sample.ok() ? sample->cpu_seconds : 0);
  }
  self_cpu_start_ = SelfCpuSeconds();
  ws_bytes_start_ = WsClient::BytesRead();
  measure_start_ns_ = NowNanos();
  run_.SetMeasureStart(measure_start_ns_);
  Note("measuring");  // profiling scripts key on these two lines
  SetPhase(Phase::kMeasuring);
  run_.SetMeasureEnd(measure_start_ns_ + absl::ToInt64Nanoseconds(options_.duration));
  Pause(options_.duration);
  const int64_t end_ns = std::max(NowNanos(), measure_start_ns_ + 1);
  Note("measured");
  run_.SetMeasureEnd(std::min(end_ns, measure_start_ns_ + absl::ToInt64Nanoseconds(options_.duration)));
  result->measured_seconds =
      static_cast<double>(std::min(end_ns - measure_start_ns_,
                                   absl::ToInt64Nanoseconds(options_.duration))) /
      1e9;
  const double elapsed = static_cast<double>(end_ns - measure_start_ns_) / 1e9;
  std::vector<ServerUsage> servers = SampleServers();
  for (std::size_t k = 0; k < servers.size(); ++k) {
    absl::StatusOr<ProcSample> sample = ProcSample::Read(servers[k].pid);
    const double used = sample.ok() && k < server_cpu_start_.size()
                            ? sample->cpu_seconds - server_cpu_start_[k]
                            : 0;
    servers[k].cpu_percent = elapsed > 0 ? 100.0 * used / elapsed : 0;
  }
  for (std::size_t k = 0; k < servers.size() && k < result->servers.size(); ++k) {
    servers[k].rss_before_kb = result->servers[k].rss_before_kb;
    servers[k].rss_last_join_kb = result->servers[k].rss_last_join_kb;
    servers[k].rss_joined_kb = result->servers[k].rss_joined_kb;
  }
  result->servers = std::move(servers);
  result->bench_cpu_percent =
      elapsed > 0 ? 100.0 * (SelfCpuSeconds() - self_cpu_start_) / elapsed : 0;
  result->wire_bytes_read = WsClient::BytesRead() - ws_bytes_start_;

  for (int s = 0; s < senders; ++s) {
    run_.senders()[s]->Stop();
  }
  const auto drain_deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(options_.drain_timeout);
  if (!WaitUntil(drain_deadline, [&] {
        return run_.outstanding().load(std::memory_order_relaxed) <= 0;
      })) {
    Note(absl::StrCat(run_.outstanding().load(), " messages still unacknowledged after the drain"));
  }
  // An acknowledgement can come before the other members have read the message (an echo
  // reaches its sender first), and closing then would count their last messages as lost.
  // Every member of a room sees every message of the room, its own included, so the room
  // has caught up when its members that are still here have all received the same number.
  if (!WaitUntil(drain_deadline, [&] { return RoomsCaughtUp(); })) {
    Note("some members had not received every message of their room after the drain");
  }
}

void BenchRunner::PassBarrier(BenchResult* result) {
  if (options_.shards <= 1 || options_.barrier_dir.empty()) {
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string mine = absl::StrCat(options_.barrier_dir, "/joined-", options_.shard);
  int joined = 0;
  for (const auto& p : participants_) {
    joined += p->welcomed() ? 1 : 0;
  }
  if (std::FILE* file = std::fopen(mine.c_str(), "w")) {
    std::fprintf(file, "%d %.3f\n", joined, result->connect_seconds);
    std::fclose(file);
  } else {
    Note(absl::StrCat("barrier: cannot create ", mine));
  }
  const auto all_joined = [&] {
    for (int k = 0; k < options_.shards; ++k) {
      const std::string path = absl::StrCat(options_.barrier_dir, "/joined-", k);
      if (access(path.c_str(), F_OK) != 0) {
        return false;
      }
    }
    return true;
  };
  result->barrier_passed =
      WaitUntil(start + absl::ToChronoNanoseconds(options_.connect_timeout), all_joined);
  result->barrier_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Note(absl::StrCat(result->barrier_passed ? "all " : "NOT all ", options_.shards,
                    " shards joined; waited ",
                    absl::FormatDuration(absl::Trunc(absl::Seconds(result->barrier_seconds),
                                                     absl::Milliseconds(1)))));
}

bool BenchRunner::RoomsCaughtUp() const {
  std::vector<std::optional<uint64_t>> room_count(static_cast<std::size_t>(std::max(options_.rooms, 1)));
  for (const auto& p : participants_) {
    if (!p->welcomed() || p->ended()) {
      continue;
    }
    std::optional<uint64_t>& count = room_count[static_cast<std::size_t>(p->room())];
    if (!count.has_value()) {
      count = p->received();
    } else if (*count != p->received()) {
      return false;
    }
  }
  return true;
}

void BenchRunner::Hold(BenchResult* result) {
  const double self_start = SelfCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  if (options_.churn > 0) {
    Pause(options_.duration / 2);
    Churn(result);
    const absl::Duration left = options_.duration - absl::FromChrono(std::chrono::steady_clock::now() - start);
    Pause(std::max(left, absl::ZeroDuration()));
  } else {
    Pause(options_.duration);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->measured_seconds = elapsed;
  result->bench_cpu_percent = elapsed > 0 ? 100.0 * (SelfCpuSeconds() - self_start) / elapsed : 0;
  std::vector<ServerUsage> servers = SampleServers();
  int64_t before = 0;
  int64_t after = 0;
  for (std::size_t k = 0; k < servers.size() && k < result->servers.size(); ++k) {
    servers[k].rss_before_kb = result->servers[k].rss_before_kb;
    servers[k].rss_last_join_kb = result->servers[k].rss_last_join_kb;
    servers[k].rss_joined_kb = result->servers[k].rss_joined_kb;
    before += servers[k].rss_before_kb;
    after += servers[k].rss_kb;
  }
  result->servers = std::move(servers);
  int held = 0;
  for (const auto& p : participants_) {
    held += p->welcomed() && !p->ended() ? 1 : 0;
  }
  for (const auto& p : late_participants_) {
    held += p->welcomed() && !p->ended() ? 1 : 0;
  }
  result->rss_per_connection_kb =
      held > 0 ? static_cast<double>(after - before) / static_cast<double>(held) : 0;
}

void BenchRunner::Churn(BenchResult* result) {
  const int n = options_.churn;
  int expected = 0;  // leavers and joiners balance: the count stays what it was
  for (const auto& p : participants_) {
    expected += p->welcomed() && !p->ended() ? 1 : 0;
  }
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < n; ++k) {
    std::this_thread::sleep_until(start + std::chrono::nanoseconds(int64_t{1'000'000'000} * k / n));
    const int leaver = options_.clients - 1 - k;
    participants_[leaver]->set_leaving();
    ws_clients_[leaver]->Close();
    late_ws_clients_[k]->Start();
  }
  const auto exact = [&](const Participant& p) {
    return p.welcomed() && !p.ended() && p.last_online() == static_cast<uint32_t>(expected);
  };
  const auto count_wrong = [&] {
    int wrong = 0;
    for (int i = 0; i < options_.clients - n; ++i) {
      wrong += exact(*participants_[i]) ? 0 : 1;
    }
    for (const auto& p : late_participants_) {
      wrong += exact(*p) ? 0 : 1;
    }
    return wrong;
  };
  const bool settled = WaitUntil(start + absl::ToChronoNanoseconds(options_.connect_timeout),
                                 [&] { return count_wrong() == 0; });
  result->churn_settle_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->churn_wrong = settled ? 0 : count_wrong();
  std::string detail;
  if (!settled) {
    // What went wrong: the counts members saw, and whether the churn itself completed.
    std::map<uint32_t, int> seen;
    for (int i = 0; i < options_.clients - n; ++i) {
      ++seen[participants_[i]->last_online()];
    }
    int late_welcomed = 0;
    for (const auto& p : late_participants_) {
      late_welcomed += p->welcomed() && !p->ended() ? 1 : 0;
    }
    int leavers_ended = 0;
    for (int k = 0; k < n; ++k) {
      leavers_ended += participants_[options_.clients - 1 - k]->ended() ? 1 : 0;
    }
    detail = absl::StrCat(" (expected ", expected, "; seen ",
                          absl::StrJoin(seen, ", ", absl::PairFormatter("x")), "; ",
                          late_welcomed, "/", n, " joiners welcomed, ", leavers_ended, "/", n,
                          " leavers closed)");
  }
  Note(absl::StrCat("churn: ", n, " left, ", n, " joined; ",
                    settled ? "every count exact" : absl::StrCat(result->churn_wrong, " counts wrong"),
                    " after ", absl::FormatDuration(absl::Trunc(
                        absl::Seconds(result->churn_settle_seconds), absl::Milliseconds(1))),
                    detail));
}

void BenchRunner::CloseAll() {
  run_.set_closing();
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(options_.close_timeout);
  if (options_.mode == Mode::kGrpc) {
    for (auto& client : grpc_clients_) {
      client->Close();
    }
    const auto all_done = [&] {
      return std::all_of(grpc_clients_.begin(), grpc_clients_.end(),
                         [](const auto& c) { return c->done(); });
    };
    if (!WaitUntil(deadline, all_done)) {
      for (auto& client : grpc_clients_) {
        client->Cancel();
      }
      if (!WaitUntil(std::chrono::steady_clock::now() + kCancelGrace, all_done)) {
        Note("some gRPC calls did not end after a cancel");
        unclean_exit_ = true;
      }
    }
    return;
  }
  for (auto& client : ws_clients_) {
    client->Close();
  }
  for (auto& client : late_ws_clients_) {
    client->Close();
  }
  if (!WaitUntil(deadline, [&] {
        return std::all_of(participants_.begin(), participants_.end(),
                           [](const auto& p) { return p->ended(); }) &&
               std::all_of(late_participants_.begin(), late_participants_.end(),
                           [](const auto& p) { return p->ended() || !p->welcomed(); });
      })) {
    Note("some WebSockets did not finish their closing handshake in time");
  }
}

void BenchRunner::Collect(BenchResult* result) {
  LatencyHistogram latency;
  LatencyHistogram welcome;
  const int senders = static_cast<int>(run_.senders().size());
  // Rooms in which every member that stayed got at least one message (a broadcast reached
  // the whole room); a room nobody stayed in does not count.
  std::vector<int> room_state(static_cast<std::size_t>(std::max(options_.rooms, 1)), 0);
  for (const auto& p : participants_) {
    if (!p->welcomed() || p->dropped()) {
      continue;
    }
    int& state = room_state[static_cast<std::size_t>(p->room())];  // 0 none, 1 all, -1 not
    state = p->stats().received > 0 ? (state == 0 ? 1 : state) : -1;
  }
  result->rooms_reached = static_cast<int>(std::count(room_state.begin(), room_state.end(), 1));
  for (const auto& p : participants_) {
    result->client_ends.push_back(p->end_reason());
    const ReceiveStats& stats = p->stats();
    result->connected += p->welcomed() ? 1 : 0;
    result->connect_errors += !p->welcomed() ? 1 : 0;
    if (p->dropped()) {
      ++result->dropped;
      if (result->first_drop.empty()) {
        result->first_drop = absl::StrCat("client ", p->index(), ": ", p->end_reason());
      }
    } else if (!p->welcomed() && result->first_drop.empty() && !p->end_reason().empty()) {
      result->first_drop = absl::StrCat("client ", p->index(), " never joined: ", p->end_reason());
    }
    if (p->welcome_ns() >= 0) {
      welcome.Record(p->welcome_ns());
      result->welcome_over_2s += p->welcome_ns() > 2'000'000'000 ? 1 : 0;
    }
    result->deliveries += stats.deliveries_measured;
    result->out_of_order += stats.out_of_order;
    result->foreign += stats.foreign;
    result->server_errors += stats.errors;
    if (result->first_error.empty() && !p->first_error().empty()) {
      result->first_error = absl::StrCat("client ", p->index(), ": ", p->first_error());
    }
    if (p->latency() != nullptr) {
      latency.Merge(*p->latency());
    }
    if (Sender* sender = p->sender()) {
      const SenderStats& s = sender->stats();
      result->messages_sent += s.sent_measured;
      result->rejected += s.rejected;
      result->ack_timeouts += s.ack_timeouts;
      result->rate_missed += s.rate_missed;
    }
  }
  // Loss: what each receiver that stayed lacks of what each sender had accepted.
  for (int s = 0; s < senders; ++s) {
    const Participant& from = *participants_[s];
    const SenderStats& stats = from.sender()->stats();
    uint64_t accepted = stats.sent - stats.rejected;
    if (from.dropped()) {
      // Sends in flight when it was cut may never have reached roomd: count what arrived.
      accepted = 0;
      for (const auto& p : participants_) {
        accepted = std::max(accepted, p->stats().from_sender[s]);
      }
    }
    for (const auto& p : participants_) {
      if (p->room() != from.room() || !p->welcomed() || p->dropped()) {
        continue;
      }
      const uint64_t got = p->stats().from_sender[s];
      result->lost += got < accepted ? accepted - got : 0;
    }
  }
  result->p50_us = latency.QuantileUs(0.50);
  result->p90_us = latency.QuantileUs(0.90);
  result->p99_us = latency.QuantileUs(0.99);
  result->max_us = latency.max_us();
  result->welcome_p50_us = welcome.QuantileUs(0.50);
  result->welcome_p99_us = welcome.QuantileUs(0.99);
  result->welcome_max_us = welcome.max_us();
}

std::vector<ServerUsage> BenchRunner::SampleServers() const {
  std::vector<ServerUsage> servers;
  for (int pid : options_.server_pids) {
    ServerUsage usage;
    usage.pid = pid;
    if (absl::StatusOr<ProcSample> sample = ProcSample::Read(pid); sample.ok()) {
      usage.name = sample->name;
      usage.rss_kb = sample->rss_kb;
      usage.hwm_kb = sample->hwm_kb;
    } else {
      usage.name = "(gone)";
    }
    servers.push_back(std::move(usage));
  }
  return servers;
}

}  // namespace bench
