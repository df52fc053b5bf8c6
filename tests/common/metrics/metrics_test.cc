#include "common/metrics/metrics.h"

#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace chat::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountersSumTheirShardsAcrossThreads) {
  Registry registry;
  Counter* counter = registry.AddCounter("chat_things_total", "Things.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([counter] {
      for (int i = 0; i < 10000; ++i) {
        counter->Inc();
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  counter->Inc(5);
  EXPECT_EQ(counter->Value(), 80005u);
  EXPECT_THAT(registry.Render(), HasSubstr("\nchat_things_total 80005\n"));
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  Registry registry;
  Counter* a = registry.AddCounter("chat_x_total", "X.", {{"code", "1"}});
  Counter* b = registry.AddCounter("chat_x_total", "X.", {{"code", "1"}});
  Counter* c = registry.AddCounter("chat_x_total", "X.", {{"code", "2"}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  a->Inc(2);
  c->Inc();
  const std::string text = registry.Render();
  EXPECT_EQ(text,
            "# HELP chat_x_total X.\n# TYPE chat_x_total counter\n"
            "chat_x_total{code=\"1\"} 2\nchat_x_total{code=\"2\"} 1\n");
}

TEST(MetricsTest, GaugesGoBothWaysAndCallbacksRunAtScrape) {
  Registry registry;
  Gauge* gauge = registry.AddGauge("chat_open", "Open.", {{"kind", "ws"}});
  gauge->Inc();
  gauge->Inc();
  gauge->Dec();
  double rooms = 3;
  registry.AddCallback("chat_rooms", "Rooms.", Type::kGauge, [&rooms] { return rooms; });
  EXPECT_THAT(registry.Render(), HasSubstr("chat_open{kind=\"ws\"} 1\n"));
  EXPECT_THAT(registry.Render(), HasSubstr("chat_rooms 3\n"));
  rooms = 0.25;
  EXPECT_THAT(registry.Render(), HasSubstr("chat_rooms 0.25\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry registry;
  Histogram* histogram =
      registry.AddHistogram("chat_latency_seconds", "Latency.", {0.001, 0.01, 0.1});
  histogram->Observe(0.0005);
  histogram->Observe(0.001);  // on the bound: counted in le="0.001"
  histogram->Observe(0.05);
  histogram->Observe(3);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE chat_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_bucket{le=\"0.001\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_bucket{le=\"0.01\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_bucket{le=\"0.1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_sum 3.0515\n"));
  EXPECT_THAT(text, HasSubstr("chat_latency_seconds_count 4\n"));
}

TEST(MetricsTest, HistogramLabelsComeBeforeLe) {
  Registry registry;
  registry.AddHistogram("chat_h_seconds", "H.", {1}, {{"kind", "a"}})->Observe(0.5);
  EXPECT_THAT(registry.Render(), HasSubstr("chat_h_seconds_bucket{kind=\"a\",le=\"1\"} 1\n"));
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  registry.AddCounter("chat_e_total", "Back\\slash\nnewline.", {{"reason", "a\"b\\c\nd"}});
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# HELP chat_e_total Back\\\\slash\\nnewline.\n"));
  EXPECT_THAT(text, HasSubstr("chat_e_total{reason=\"a\\\"b\\\\c\\nd\"} 0\n"));
}

TEST(MetricsTest, ExponentialBounds) {
  EXPECT_THAT(ExponentialBounds(0.001, 2, 4), ::testing::ElementsAre(0.001, 0.002, 0.004, 0.008));
}

}  // namespace
}  // namespace chat::metrics
