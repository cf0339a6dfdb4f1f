#include "common/metrics.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(MetricsTest, CountersRenderOneSamplePerLabelSet) {
  MetricsRegistry registry;
  MetricsRegistry::Family& requests =
      registry.Counter("gleaner_http_requests_total", "HTTP requests answered.", {"code"});
  requests.Add({"200"});
  requests.Add({"200"}, 2);
  requests.Add({"400"});
  EXPECT_EQ(registry.Render(),
            "# HELP gleaner_http_requests_total HTTP requests answered.\n"
            "# TYPE gleaner_http_requests_total counter\n"
            "gleaner_http_requests_total{code=\"200\"} 3\n"
            "gleaner_http_requests_total{code=\"400\"} 1\n");
}

TEST(MetricsTest, HistogramsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  MetricsRegistry::Family& passes =
      registry.Histogram("pass_seconds", "Pass time.", {}, {0.001, 0.01, 0.1});
  passes.Observe({}, 0.0005);
  passes.Observe({}, 0.05);
  passes.Observe({}, 3);
  EXPECT_EQ(registry.Render(),
            "# HELP pass_seconds Pass time.\n"
            "# TYPE pass_seconds histogram\n"
            "pass_seconds_bucket{le=\"0.001\"} 1\n"
            "pass_seconds_bucket{le=\"0.01\"} 1\n"
            "pass_seconds_bucket{le=\"0.1\"} 2\n"
            "pass_seconds_bucket{le=\"+Inf\"} 3\n"
            "pass_seconds_sum 3.0505\n"
            "pass_seconds_count 3\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsText text;
  text.Family("g", "gauge", "a\\b\nc");
  text.Sample("g", {{"name", "say \"hi\"\\\n"}}, 1.5);
  EXPECT_EQ(text.text(),
            "# HELP g a\\\\b\\nc\n# TYPE g gauge\ng{name=\"say \\\"hi\\\"\\\\\\n\"} 1.5\n");
}

TEST(MetricsTest, LabelSetsPastTheLimitShareOneSeries) {
  MetricsRegistry registry;
  MetricsRegistry::Family& family = registry.Counter("c_total", "C.", {"operation"});
  for (size_t i = 0; i < MetricsRegistry::Family::kMaxSeries + 10; ++i) {
    family.Add({"op" + std::to_string(i)});
  }
  family.Add({"op0"});
  std::string text = registry.Render();
  EXPECT_NE(text.find("c_total{operation=\"_other\"} 10\n"), std::string::npos);
  EXPECT_NE(text.find("c_total{operation=\"op0\"} 2\n"), std::string::npos);
}

TEST(MetricsTest, ExponentialBuckets) {
  EXPECT_EQ(ExponentialBuckets(0.001, 10, 4), (std::vector<double>{0.001, 0.01, 0.1, 1}));
}

}  // namespace
}  // namespace gleaner
