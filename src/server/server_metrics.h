#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "api/request_metrics.h"
#include "common/clock.h"
#include "common/metrics.h"

namespace gleaner {

class BatchState;
class Ec2Cloud;
struct Decisions;
struct StateChanges;

// gleaner's Prometheus metrics (GET /metrics): the families `gleaner up` keeps as things happen
// (HTTP requests, scheduling passes, store commits, job submissions and state transitions,
// attempt durations, interruption warnings) and the gauges read from the state when scraped
// (jobs by queue and status, instances by compute environment, lifecycle, type and state). Every
// On* may run on any thread.
class ServerMetrics {
 public:
  explicit ServerMetrics(const Clock& clock);

  void OnRequest(const RequestKind& kind, int status, double seconds);
  void OnPass(double seconds, const Decisions& decisions);
  void OnGroupWritten(size_t batches, double seconds);
  // On the scheduler thread, with a pass's changes.
  void OnChanges(const BatchState& state, const StateChanges& changes);
  // gleaner's published events (interruption warnings, rebalance recommendations).
  void OnEvents(const std::vector<nlohmann::json>& events);

  // GET /metrics in the text exposition format; the gauges are read on the scheduler thread
  // (through `executor`), from `cloud` when there is one.
  HttpHandler Route(BatchExecutor& executor, const Ec2Cloud* cloud) const;

 private:
  const Clock& clock_;
  std::shared_ptr<MetricsRegistry> registry_ = std::make_shared<MetricsRegistry>();
  MetricsRegistry::Family& requests_;
  MetricsRegistry::Family& request_seconds_;
  MetricsRegistry::Family& pass_seconds_;
  MetricsRegistry::Family& decisions_;
  MetricsRegistry::Family& commit_seconds_;
  MetricsRegistry::Family& commit_group_batches_;
  MetricsRegistry::Family& submissions_;
  MetricsRegistry::Family& transitions_;
  MetricsRegistry::Family& attempt_seconds_;
  MetricsRegistry::Family& attempt_cost_;
  MetricsRegistry::Family& attempt_on_demand_cost_;
  MetricsRegistry::Family& cloud_events_;
};

}  // namespace gleaner
