#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"

namespace gleaner {

// What a collector adds at scrape time: whole families of samples (gauges computed from state).
class MetricsText {
 public:
  // Starts a family: its HELP and TYPE lines ("gauge", "counter").
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // One sample of the family begun last; `labels` as name/value pairs.
  void Sample(const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels, double value);
  std::string& text() { return text_; }

 private:
  std::string text_;
};

// Prometheus metrics: counter and histogram families with labels, kept here and updated from any
// thread, rendered in the text exposition format (version 0.0.4) with the families collectors
// compute at scrape time. Families are made at start and live as long as the registry.
class MetricsRegistry {
 public:
  class Family;
  // A counter family ("..._total"), or a histogram family with `buckets` (upper bounds, in
  // increasing order; +Inf is added).
  Family& Counter(const std::string& name, const std::string& help,
                  std::vector<std::string> label_names);
  Family& Histogram(const std::string& name, const std::string& help,
                    std::vector<std::string> label_names, std::vector<double> buckets);

  // The text of every family; a collector's families follow the registry's own.
  std::string Render() const;

  MetricsRegistry();
  ~MetricsRegistry();

 private:
  std::vector<std::unique_ptr<Family>> families_;
};

class MetricsRegistry::Family {
 public:
  // Adds to a counter. `label_values` in the order of the family's label names.
  void Add(const std::vector<std::string>& label_values, double amount = 1);
  // Records one observation of a histogram.
  void Observe(const std::vector<std::string>& label_values, double value);
  void Render(MetricsText& text) const;

  static constexpr size_t kMaxSeries = 2'000;

  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets, bool histogram);

 private:
  struct Series {
    double value = 0;                     // a counter's value; a histogram's sum
    uint64_t count = 0;                   // a histogram's count
    std::vector<uint64_t> bucket_counts;  // not cumulative
  };
  Series& SeriesLocked(const std::vector<std::string>& label_values) GLEANER_REQUIRES(mutex_);

  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> buckets_;
  const bool histogram_;
  mutable Mutex mutex_;
  std::map<std::vector<std::string>, Series> series_ GLEANER_GUARDED_BY(mutex_);
};

// Upper bounds growing by `factor` from `start`: {start, start*factor, ...}, `count` of them.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace gleaner
