#include "common/metrics/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"

namespace chat::metrics {
namespace {

// Go's float formatting as Prometheus parses it: integers exactly, +Inf spelled out.
std::string FormatValue(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (std::isnan(value)) {
    return "NaN";
  }
  // The shortest text that reads back as the same double (0.0005, not 0.00050000000000000001).
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string FormatLabels(const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && extra == nullptr) {
    return "";
  }
  std::string out = "{";
  const char* sep = "";
  for (const auto& [key, value] : labels) {
    absl::StrAppend(&out, sep, key, "=\"", EscapeLabelValue(value), "\"");
    sep = ",";
  }
  if (extra != nullptr) {
    absl::StrAppend(&out, sep, extra->first, "=\"", extra->second, "\"");
  }
  out.push_back('}');
  return out;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline only.
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

size_t ThisThreadShard() {
  // Threads take shards round robin as they first count: spread evenly, fixed for life.
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const Shard& shard : shards_) {
    total += shard.value.load(std::memory_order_relaxed);
  }
  return total;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  for (Shard& shard : shards_) {
    shard.buckets = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  }
}

void Histogram::Observe(double value) {
  // A handful of bounds: a linear scan beats a binary search's branches.
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) {
    ++bucket;
  }
  Shard& shard = shards_[ThisThreadShard()];
  shard.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.cumulative.assign(bounds_.size() + 1, 0);
  for (const Shard& shard : shards_) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      snapshot.cumulative[i] += shard.buckets[i].load(std::memory_order_relaxed);
    }
    snapshot.sum += shard.sum.load(std::memory_order_relaxed);
  }
  for (size_t i = 1; i < snapshot.cumulative.size(); ++i) {
    snapshot.cumulative[i] += snapshot.cumulative[i - 1];
  }
  return snapshot;
}

std::vector<double> ExponentialBounds(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

Registry::Series* Registry::FindOrAddLocked(absl::string_view name, absl::string_view help,
                                            Type type, const Labels& labels, bool* created) {
  Family* family = nullptr;
  for (const auto& candidate : families_) {
    if (candidate->name == name) {
      family = candidate.get();
      break;
    }
  }
  if (family == nullptr) {
    families_.push_back(std::make_unique<Family>(
        Family{std::string(name), std::string(help), type, {}}));
    family = families_.back().get();
  }
  if (family->type != type) {
    std::fprintf(stderr, "metric %s registered with two types\n", family->name.c_str());
    std::abort();
  }
  for (const auto& series : family->series) {
    if (series->labels == labels) {
      *created = false;
      return series.get();
    }
  }
  family->series.push_back(std::make_unique<Series>());
  family->series.back()->labels = labels;
  *created = true;
  return family->series.back().get();
}

Counter* Registry::AddCounter(absl::string_view name, absl::string_view help,
                              const Labels& labels) {
  chat::MutexLock lock(&mu_);
  bool created = false;
  Series* series = FindOrAddLocked(name, help, Type::kCounter, labels, &created);
  if (created) {
    series->counter = std::make_unique<Counter>();
  }
  return series->counter.get();
}

Gauge* Registry::AddGauge(absl::string_view name, absl::string_view help, const Labels& labels) {
  chat::MutexLock lock(&mu_);
  bool created = false;
  Series* series = FindOrAddLocked(name, help, Type::kGauge, labels, &created);
  if (created) {
    series->gauge = std::make_unique<Gauge>();
  }
  return series->gauge.get();
}

Histogram* Registry::AddHistogram(absl::string_view name, absl::string_view help,
                                  std::vector<double> bounds, const Labels& labels) {
  chat::MutexLock lock(&mu_);
  bool created = false;
  Series* series = FindOrAddLocked(name, help, Type::kHistogram, labels, &created);
  if (created) {
    series->histogram = std::make_unique<Histogram>(std::move(bounds));
  }
  return series->histogram.get();
}

void Registry::AddCallback(absl::string_view name, absl::string_view help, Type type,
                           std::function<double()> read, const Labels& labels) {
  chat::MutexLock lock(&mu_);
  bool created = false;
  Series* series = FindOrAddLocked(name, help, type, labels, &created);
  series->read = std::move(read);  // a later registration replaces the reader
}

std::string Registry::Render() const {
  chat::MutexLock lock(&mu_);
  std::string out;
  for (const auto& family : families_) {
    absl::StrAppend(&out, "# HELP ", family->name, " ", EscapeHelp(family->help), "\n");
    absl::StrAppend(&out, "# TYPE ", family->name, " ", TypeName(family->type), "\n");
    for (const auto& series : family->series) {
      if (series->read) {
        absl::StrAppend(&out, family->name, FormatLabels(series->labels, nullptr), " ",
                        FormatValue(series->read()), "\n");
      } else if (series->counter != nullptr) {
        absl::StrAppend(&out, family->name, FormatLabels(series->labels, nullptr), " ",
                        series->counter->Value(), "\n");
      } else if (series->gauge != nullptr) {
        absl::StrAppend(&out, family->name, FormatLabels(series->labels, nullptr), " ",
                        series->gauge->Value(), "\n");
      } else if (series->histogram != nullptr) {
        const Histogram::Snapshot snapshot = series->histogram->Read();
        const std::vector<double>& bounds = series->histogram->bounds();
        for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
          const std::pair<std::string, std::string> le{
              "le", i < bounds.size() ? FormatValue(bounds[i]) : "+Inf"};
          absl::StrAppend(&out, family->name, "_bucket", FormatLabels(series->labels, &le), " ",
                          snapshot.cumulative[i], "\n");
        }
        absl::StrAppend(&out, family->name, "_sum", FormatLabels(series->labels, nullptr), " ",
                        FormatValue(snapshot.sum), "\n");
        absl::StrAppend(&out, family->name, "_count", FormatLabels(series->labels, nullptr), " ",
                        snapshot.cumulative.back(), "\n");
      }
    }
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* const registry = new Registry();  // never destroyed: threads count on exit
  return *registry;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace chat::metrics
