#include "bench/bench_result.h"

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace bench {
namespace {

namespace json = boost::json;

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

// Integers without a fraction, others with up to 3 decimals ("12", "3.25").
std::string Number(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value))) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  std::string text = absl::StrFormat("%.3f", value);
  while (text.back() == '0') {
    text.pop_back();
  }
  if (text.back() == '.') {
    text.pop_back();
  }
  return text;
}

double Round(double value, double unit) {
  return static_cast<double>(static_cast<int64_t>(value / unit + (value >= 0 ? 0.5 : -0.5))) *
         unit;
}

}  // namespace

double BenchResult::DeliveriesPerSecond() const {
  return measured_seconds > 0 ? static_cast<double>(deliveries) / measured_seconds : 0;
}

double BenchResult::WireBytesPerDelivery() const {
  return deliveries > 0 ? static_cast<double>(wire_bytes_read) / static_cast<double>(deliveries)
                        : 0;
}

double BenchResult::ServerCpuPercent() const {
  double total = 0;
  for (const ServerUsage& server : servers) {
    total += server.cpu_percent;
  }
  return total;
}

int64_t BenchResult::ServerRssKb() const {
  int64_t total = 0;
  for (const ServerUsage& server : servers) {
    total += server.rss_kb;
  }
  return total;
}

bool BenchResult::Clean() const {
  return lost == 0 && out_of_order == 0 && dropped == 0 && connect_errors == 0 && settled &&
         ack_timeouts == 0 && rejected == 0 && connected == options.clients && churn_wrong == 0 &&
         barrier_passed;
}

std::string BenchResult::Summary() const {
  const BenchOptions& o = options;
  std::string out = absl::StrFormat(
      "chat_bench%s%s: %s %s, %d clients in %d room(s), ", o.label.empty() ? "" : " ", o.label,
      o.mode == Mode::kGrpc ? "grpc" : "ws", o.target, o.clients, o.rooms);
  if (o.idle) {
    out += "idle\n";
  } else {
    absl::StrAppendFormat(&out, "%d senders, rate %s, window %d, ack %s\n", o.senders,
                          o.rate > 0 ? absl::StrCat(o.rate, "/s") : "max", o.window,
                          o.ack == AckMode::kAll ? "all" : "echo");
  }
  absl::StrAppendFormat(&out, "  connected   %d/%d in %.1f s (%d errors)%s\n", connected,
                        o.clients, connect_seconds, connect_errors,
                        settled ? "" : "; NOT every client saw its whole room");
  absl::StrAppendFormat(&out, "  welcome     p50 %.1f ms, p99 %.1f ms, max %.1f ms after the join; %d over 2 s\n",
                        Ms(welcome_p50_us), Ms(welcome_p99_us), Ms(welcome_max_us),
                        welcome_over_2s);
  if (o.idle) {
    absl::StrAppendFormat(&out, "  held        %.1f s, %d dropped\n", measured_seconds, dropped);
    if (o.churn > 0) {
      absl::StrAppendFormat(&out,
                            "  churn       %d left and %d joined within 1 s: every count exact "
                            "after %.2f s; %d wrong at the end\n",
                            o.churn, o.churn, churn_settle_seconds, churn_wrong);
    }
    absl::StrAppendFormat(&out, "  memory      %.1f KB per connection (servers together)\n",
                          rss_per_connection_kb);
  } else {
    absl::StrAppendFormat(&out, "  measured    %.2f s: %d messages sent, %d deliveries\n",
                          measured_seconds, messages_sent, deliveries);
    absl::StrAppendFormat(&out, "  throughput  %.0f deliveries/s (%.0f messages/s)\n",
                          DeliveriesPerSecond(),
                          measured_seconds > 0
                              ? static_cast<double>(messages_sent) / measured_seconds
                              : 0.0);
    absl::StrAppendFormat(&out, "  latency     p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                          Ms(p50_us), Ms(p90_us), Ms(p99_us), Ms(max_us));
    absl::StrAppendFormat(&out,
                          "  integrity   %d lost, %d out of order, %d dropped, %d rejected, "
                          "%d ack timeouts, %d rate misses\n",
                          lost, out_of_order, dropped, rejected, ack_timeouts, rate_missed);
  }
  for (const ServerUsage& server : servers) {
    absl::StrAppendFormat(&out, "  server      %s (pid %d): CPU %.0f%%, RSS %.1f MB (peak %.1f MB)\n",
                          server.name, server.pid, server.cpu_percent,
                          static_cast<double>(server.rss_kb) / 1024.0,
                          static_cast<double>(server.hwm_kb) / 1024.0);
  }
  if (!servers.empty() && deliveries > 0) {
    absl::StrAppendFormat(&out, "  cost        %.2f us of server CPU per delivery\n",
                          ServerCpuPercent() / 100.0 * measured_seconds * 1e6 /
                              static_cast<double>(deliveries));
  }
  absl::StrAppendFormat(&out, "  load gen    CPU %.0f%% (%d threads)\n", bench_cpu_percent,
                        o.threads);
  if (WireBytesPerDelivery() > 0) {
    absl::StrAppendFormat(&out, "  wire        %.1f bytes read per delivery%s\n",
                          WireBytesPerDelivery(), o.deflate ? " (permessage-deflate offered)" : "");
  }
  if (!first_drop.empty()) {
    absl::StrAppendFormat(&out, "  first drop  %s\n", first_drop);
  }
  if (!first_error.empty()) {
    absl::StrAppendFormat(&out, "  first error %s (%d errors)\n", first_error, server_errors);
  }
  return out;
}

std::string BenchResult::ToJson() const {
  // Built by hand so numbers read plainly (Boost.JSON writes every double as 1.5E0); strings
  // go through Boost.JSON for escaping.
  const BenchOptions& o = options;
  std::string out = "{";
  bool first = true;
  const auto key = [&](absl::string_view name) {
    absl::StrAppend(&out, first ? "" : ",", "\"", name, "\":");
    first = false;
  };
  const auto str = [&](absl::string_view name, absl::string_view value) {
    key(name);
    out += json::serialize(json::string(json::string_view(value.data(), value.size())));
  };
  const auto num = [&](absl::string_view name, double value) {
    key(name);
    out += Number(value);
  };
  const auto boolean = [&](absl::string_view name, bool value) {
    key(name);
    out += value ? "true" : "false";
  };
  str("bench", "chat_bench");
  str("label", o.label);
  str("mode", o.mode == Mode::kGrpc ? "grpc" : "ws");
  num("clients", o.clients);
  num("rooms", o.rooms);
  num("senders", o.idle ? 0 : o.senders);
  num("rate", o.rate);
  num("window", o.window);
  str("ack", o.ack == AckMode::kAll ? "all" : "echo");
  boolean("idle", o.idle);
  num("threads", o.threads);
  num("duration_s", absl::ToDoubleSeconds(o.duration));
  num("connected", connected);
  num("connect_errors", connect_errors);
  boolean("settled", settled);
  num("connect_s", Round(connect_seconds, 0.001));
  num("shard", o.shard);
  num("shards", o.shards);
  boolean("barrier_passed", barrier_passed);
  num("barrier_s", Round(barrier_seconds, 0.001));
  num("measured_s", Round(measured_seconds, 0.001));
  num("messages_sent", static_cast<double>(messages_sent));
  num("deliveries", static_cast<double>(deliveries));
  num("deliveries_per_s", Round(DeliveriesPerSecond(), 1));
  num("p50_ms", Ms(p50_us));
  num("p90_ms", Ms(p90_us));
  num("p99_ms", Ms(p99_us));
  num("max_ms", Ms(max_us));
  num("welcome_p50_ms", Ms(welcome_p50_us));
  num("welcome_p99_ms", Ms(welcome_p99_us));
  num("welcome_max_ms", Ms(welcome_max_us));
  num("welcome_over_2s", welcome_over_2s);
  num("churn", o.churn);
  num("churn_wrong", churn_wrong);
  num("churn_settle_s", Round(churn_settle_seconds, 0.001));
  num("lost", static_cast<double>(lost));
  num("rooms_reached", rooms_reached);
  num("out_of_order", static_cast<double>(out_of_order));
  num("dropped", dropped);
  num("rejected", static_cast<double>(rejected));
  num("ack_timeouts", static_cast<double>(ack_timeouts));
  num("server_errors", static_cast<double>(server_errors));
  num("rate_missed", static_cast<double>(rate_missed));
  key("servers");
  out += "[";
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const ServerUsage& server = servers[i];
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"pid\":", server.pid, ",\"name\":",
                    json::serialize(json::string(server.name)),
                    ",\"cpu_percent\":", Number(Round(server.cpu_percent, 0.1)),
                    ",\"rss_kb\":", server.rss_kb, ",\"hwm_kb\":", server.hwm_kb,
                    ",\"rss_before_kb\":", server.rss_before_kb,
                    ",\"rss_last_join_kb\":", server.rss_last_join_kb,
                    ",\"rss_joined_kb\":", server.rss_joined_kb, "}");
  }
  out += "]";
  num("server_cpu_percent", Round(ServerCpuPercent(), 0.1));
  num("server_rss_kb", static_cast<double>(ServerRssKb()));
  num("server_us_per_delivery",
      deliveries > 0 ? Round(ServerCpuPercent() / 100.0 * measured_seconds * 1e6 /
                                 static_cast<double>(deliveries),
                             0.001)
                     : 0.0);
  num("rss_per_conn_kb", Round(rss_per_connection_kb, 0.01));
  num("bench_cpu_percent", Round(bench_cpu_percent, 0.1));
  num("wire_bytes_per_delivery", Round(WireBytesPerDelivery(), 0.1));
  boolean("deflate", o.deflate);
  boolean("clean", Clean());
  str("first_drop", first_drop);
  str("first_error", first_error);
  out += "}";
  return out;
}

}  // namespace bench
