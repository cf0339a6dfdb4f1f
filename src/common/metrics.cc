#include "common/metrics.h"

#include <charconv>
#include <cmath>

namespace gleaner {
namespace {

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return "NaN";
  return std::string(buffer, end);
}

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string Escape(const std::string& text, bool quote) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else if (c == '"' && quote) {
      escaped += "\\\"";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace

void MetricsText::Family(const std::string& name, const std::string& type,
                         const std::string& help) {
  text_ += "# HELP " + name + " " + Escape(help, false) + "\n# TYPE " + name + " " + type + "\n";
}

void MetricsText::Sample(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& labels,
                         double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_ += ',';
      text_ += labels[i].first + "=\"" + Escape(labels[i].second, true) + '"';
    }
    text_ += '}';
  }
  text_ += ' ' + FormatValue(value) + '\n';
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                                  std::vector<std::string> label_names) {
  families_.push_back(
      std::make_unique<Family>(name, help, std::move(label_names), std::vector<double>{}, false));
  return *families_.back();
}

MetricsRegistry::Family& MetricsRegistry::Histogram(const std::string& name,
                                                    const std::string& help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> buckets) {
  families_.push_back(
      std::make_unique<Family>(name, help, std::move(label_names), std::move(buckets), true));
  return *families_.back();
}

std::string MetricsRegistry::Render() const {
  MetricsText text;
  for (const auto& family : families_) family->Render(text);
  return std::move(text.text());
}

MetricsRegistry::Family::Family(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> buckets,
                                bool histogram)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)),
      histogram_(histogram) {}

MetricsRegistry::Family::Series& MetricsRegistry::Family::SeriesLocked(
    const std::vector<std::string>& label_values) {
  // A caller that gives too few or too many values (a bug) gets "" for the missing ones.
  std::vector<std::string> values = label_values;
  values.resize(label_names_.size());
  // Label values may come from clients (operation names): past kMaxSeries, new ones share one
  // series whose every label is "_other", so a client cannot make the registry grow without end.
  if (series_.size() >= kMaxSeries && series_.find(values) == series_.end()) {
    values.assign(label_names_.size(), "_other");
  }
  auto [it, inserted] = series_.try_emplace(std::move(values));
  if (inserted && histogram_) it->second.bucket_counts.assign(buckets_.size(), 0);
  return it->second;
}

void MetricsRegistry::Family::Add(const std::vector<std::string>& label_values, double amount) {
  MutexLock lock(mutex_);
  SeriesLocked(label_values).value += amount;
}

void MetricsRegistry::Family::Observe(const std::vector<std::string>& label_values, double value) {
  MutexLock lock(mutex_);
  Series& series = SeriesLocked(label_values);
  series.value += value;
  ++series.count;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (value <= buckets_[i]) {
      ++series.bucket_counts[i];
      break;
    }
  }
}

void MetricsRegistry::Family::Render(MetricsText& text) const {
  text.Family(name_, histogram_ ? "histogram" : "counter", help_);
  MutexLock lock(mutex_);
  for (const auto& [values, series] : series_) {
    std::vector<std::pair<std::string, std::string>> labels;
    for (size_t i = 0; i < values.size(); ++i) labels.emplace_back(label_names_[i], values[i]);
    if (!histogram_) {
      text.Sample(name_, labels, series.value);
      continue;
    }
    uint64_t cumulative = 0;
    labels.emplace_back("le", "");
    for (size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += series.bucket_counts[i];
      labels.back().second = FormatValue(buckets_[i]);
      text.Sample(name_ + "_bucket", labels, static_cast<double>(cumulative));
    }
    labels.back().second = "+Inf";
    text.Sample(name_ + "_bucket", labels, static_cast<double>(series.count));
    labels.pop_back();
    text.Sample(name_ + "_sum", labels, series.value);
    text.Sample(name_ + "_count", labels, static_cast<double>(series.count));
  }
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> buckets;
  for (double bound = start; static_cast<int>(buckets.size()) < count; bound *= factor) {
    buckets.push_back(bound);
  }
  return buckets;
}

}  // namespace gleaner
