#include "cost/cost_report.h"

#include <algorithm>
#include <map>
#include <set>

namespace gleaner {
namespace {

// What the attempts on one instance reserved, to share its idle cost.
struct InstanceUse {
  double usd = 0;
  double on_demand_usd = 0;
  int64_t attempts = 0;
};

struct GroupTotals {
  CostRow row;
  std::set<std::string> jobs;
};

}  // namespace

double CostRow::SavingsPercent() const {
  if (on_demand_usd <= 0) return 0;
  return 100.0 * (1.0 - usd / on_demand_usd);
}

CostReport BuildCostReport(const std::vector<CostedAttempt>& attempts,
                           const std::vector<InstanceBill>& bills,
                           bool idle_by_compute_environment) {
  std::map<std::string, InstanceUse> use;
  for (const CostedAttempt& attempt : attempts) {
    InstanceUse& on_instance = use[attempt.cost.instance_id];
    on_instance.usd += attempt.cost.usd;
    on_instance.on_demand_usd += attempt.cost.on_demand_usd;
    ++on_instance.attempts;
  }
  // Idle per instance, at its price and at on-demand prices.
  std::map<std::string, std::pair<double, double>> idle;
  std::map<std::string, GroupTotals> groups;
  for (const InstanceBill& bill : bills) {
    auto used = use.find(bill.instance_id);
    double usd = std::max(0.0, bill.usd - (used == use.end() ? 0 : used->second.usd));
    double on_demand =
        std::max(0.0, bill.on_demand_usd - (used == use.end() ? 0 : used->second.on_demand_usd));
    if (used != use.end() && used->second.attempts > 0) {
      idle[bill.instance_id] = {usd, on_demand};
      continue;
    }
    if (usd <= 0 && on_demand <= 0) continue;
    GroupTotals& group = groups[idle_by_compute_environment ? bill.compute_environment
                                                            : std::string(kIdleWithoutJobs)];
    group.row.usd += usd;
    group.row.idle_usd += usd;
    group.row.on_demand_usd += on_demand;
  }
  for (const CostedAttempt& attempt : attempts) {
    GroupTotals& group = groups[attempt.group];
    CostRow& row = group.row;
    group.jobs.insert(attempt.job_id);
    ++row.attempts;
    row.usd += attempt.cost.usd;
    row.on_demand_usd += attempt.cost.on_demand_usd;
    if (!attempt.running && attempt.cost.outcome == AttemptEnding::kInterrupted) {
      ++row.interrupted_attempts;
      row.lost_usd += attempt.cost.usd;
    }
    auto instance_idle = idle.find(attempt.cost.instance_id);
    if (instance_idle == idle.end()) continue;
    const InstanceUse& on_instance = use[attempt.cost.instance_id];
    double share = on_instance.usd > 0 ? attempt.cost.usd / on_instance.usd
                                       : 1.0 / static_cast<double>(on_instance.attempts);
    double on_demand_share = on_instance.on_demand_usd > 0
                                 ? attempt.cost.on_demand_usd / on_instance.on_demand_usd
                                 : 1.0 / static_cast<double>(on_instance.attempts);
    row.usd += instance_idle->second.first * share;
    row.idle_usd += instance_idle->second.first * share;
    row.on_demand_usd += instance_idle->second.second * on_demand_share;
  }
  CostReport report;
  report.total.group = "total";
  std::set<std::string> all_jobs;
  for (auto& [name, group] : groups) {
    group.row.group = name;
    group.row.jobs = static_cast<int64_t>(group.jobs.size());
    all_jobs.insert(group.jobs.begin(), group.jobs.end());
    CostRow& total = report.total;
    total.attempts += group.row.attempts;
    total.interrupted_attempts += group.row.interrupted_attempts;
    total.usd += group.row.usd;
    total.on_demand_usd += group.row.on_demand_usd;
    total.lost_usd += group.row.lost_usd;
    total.idle_usd += group.row.idle_usd;
    report.rows.push_back(std::move(group.row));
  }
  report.total.jobs = static_cast<int64_t>(all_jobs.size());
  return report;
}

}  // namespace gleaner
