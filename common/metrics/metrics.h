#pragma once

// Prometheus metrics without a client library (Debian 12 has no C++ one): counters, gauges,
// histograms and scrape-time callbacks in a registry that renders the text exposition
// format (version 0.0.4).
//
// The hot path (a delivery, a message) costs one relaxed atomic add on a cache line that
// belongs to the calling thread's shard: no lock, and threads do not bounce each other's
// lines. Registration takes the registry's mutex; do it once and keep the pointer.
// Thread-safe. Lifetime: metrics live as long as their registry (DefaultRegistry(): the
// process).

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace chat::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Shards per metric: more than the cores this runs on, so few threads share one.
inline constexpr size_t kShards = 16;

// The calling thread's shard, fixed for its life.
size_t ThisThreadShard();

// A monotonically increasing count (name ends in _total).
class Counter {
 public:
  void Inc(uint64_t n = 1) {
    shards_[ThisThreadShard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> value{0};
  };
  std::array<Shard, kShards> shards_;
};

// A value that goes up and down (connections open, rooms). One atomic: gauges change per
// connection or room, not per delivery.
class Gauge {
 public:
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted into buckets with fixed upper bounds (le), plus their sum.
class Histogram {
 public:
  // `bounds`: increasing upper bounds; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  struct alignas(64) Shard {
    std::unique_ptr<std::atomic<uint64_t>[]> buckets;
    std::atomic<double> sum{0};
  };
  const std::vector<double> bounds_;
  std::array<Shard, kShards> shards_;
};

// Bounds from `start`, each `factor` times the last, `count` of them.
std::vector<double> ExponentialBounds(double start, double factor, int count);

enum class Type { kCounter, kGauge, kHistogram };

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each returns the metric with this name and these labels, created on first use; the
  // help text and type of a name are those of its first registration (a later call with
  // another type is a programming error: it aborts).
  Counter* AddCounter(absl::string_view name, absl::string_view help, const Labels& labels = {});
  Gauge* AddGauge(absl::string_view name, absl::string_view help, const Labels& labels = {});
  Histogram* AddHistogram(absl::string_view name, absl::string_view help,
                          std::vector<double> bounds, const Labels& labels = {});
  // A counter or gauge whose value `read` gives at scrape time (rooms, process metrics).
  // `read` runs under the registry's lock: it must not register metrics.
  void AddCallback(absl::string_view name, absl::string_view help, Type type,
                   std::function<double()> read, const Labels& labels = {});

  // The text exposition format: each name's HELP and TYPE once, then its series.
  std::string Render() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series* FindOrAddLocked(absl::string_view name, absl::string_view help, Type type,
                          const Labels& labels, bool* created) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable chat::Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry the daemons serve on /metrics.
Registry& DefaultRegistry();

// "a\"b" -> a\"b escaped for a label value (backslash, quote, newline).
std::string EscapeLabelValue(absl::string_view value);

}  // namespace chat::metrics
