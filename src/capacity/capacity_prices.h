#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "cost/cost_report.h"
#include "scheduler/host_pricing.h"

namespace gleaner {

class SimulatedCloud;

// What capacity that is not a cloud instance costs: a price per vCPU-hour the user sets
// (`gleaner up --local-vcpu-hour-price`, `--agent-vcpu-hour-price`), 0 by default. Such hosts
// are charged for what attempts reserve; their idle time is not charged (gleaner does not own
// those machines, and does not scale them).
struct CapacityPriceOptions {
  double local_vcpu_hour_usd = 0;
  double agent_vcpu_hour_usd = 0;
};

// The prices of every host: the simulated cloud's instances by their pools' prices over time
// (CostOfInstance) split by what an attempt reserved (SplitRatio), local capacity and agents by
// their price per vCPU-hour.
class CapacityPrices final : public HostPricing {
 public:
  // `cloud` may be null (no simulated cloud) and must outlive this.
  CapacityPrices(const SimulatedCloud* cloud, CapacityPriceOptions options);

  AttemptCharge ChargeAttempt(const std::string& instance_id, bool remote,
                              const Resources& reserved, EpochMillis from,
                              EpochMillis to) const override;

  // What each of the cloud's instances (those still described and those kept for their cost)
  // cost from `since` until it terminated, or until `now`. Fargate tasks are left out: they are
  // billed for exactly what they reserve, so they have nothing idle.
  std::vector<InstanceBill> Bills(EpochMillis since, EpochMillis now) const;

  const CapacityPriceOptions& options() const { return options_; }

 private:
  const SimulatedCloud* cloud_;
  CapacityPriceOptions options_;
};

}  // namespace gleaner
