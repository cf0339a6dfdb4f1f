#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/attempt_cost.h"

namespace gleaner {

// One attempt as the report sees it: its cost and the group it is reported under (a queue's name,
// a compute environment's, a job definition's, a tag's value, a job's id).
struct CostedAttempt {
  std::string job_id;  // the job it counts for (an array's or a multi-node job's parent)
  std::string group;
  AttemptCost cost;
  bool running = false;  // still running: its cost so far
};

// What one instance cost over the report's window, all of it: what its attempts did not reserve
// is its idle cost.
struct InstanceBill {
  std::string instance_id;
  std::string compute_environment;  // the group its idle goes to when nothing ran on it
  CapacityLifecycle lifecycle = CapacityLifecycle::kUnpriced;
  double usd = 0;
  double on_demand_usd = 0;
};

// A line of the report. `usd` is what the group paid: its attempts' split cost plus its share of
// their instances' idle cost, which `idle_usd` shows apart. `on_demand_usd` is the same usage at
// on-demand prices; `lost_usd` what attempts that ended by an interruption cost (included in usd).
struct CostRow {
  std::string group;
  int64_t jobs = 0;
  int64_t attempts = 0;
  int64_t interrupted_attempts = 0;
  double usd = 0;
  double on_demand_usd = 0;
  double lost_usd = 0;
  double idle_usd = 0;

  // 1 - usd / on_demand_usd, in percent; 0 when nothing was paid at on-demand prices.
  double SavingsPercent() const;
};

struct CostReport {
  std::vector<CostRow> rows;  // by group name
  CostRow total;              // group "total"
};

// The group idle cost goes to when no attempt ran on the instance and the report is not grouped
// by compute environment.
inline constexpr char kIdleWithoutJobs[] = "(idle, no job)";

// Sums attempts per group and shares each instance's idle cost (its bill minus what its attempts
// reserved, never below 0) among the attempts that ran on it, in proportion to their split cost
// (evenly when they cost nothing). An instance nothing ran on puts its idle cost under its compute
// environment when `idle_by_compute_environment`, else under kIdleWithoutJobs. Attempts on hosts
// without a bill (local capacity, agents) have no idle share.
CostReport BuildCostReport(const std::vector<CostedAttempt>& attempts,
                           const std::vector<InstanceBill>& bills,
                           bool idle_by_compute_environment);

}  // namespace gleaner
