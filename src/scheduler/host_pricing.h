#pragma once

#include <string>

#include "common/clock.h"
#include "model/attempt_cost.h"
#include "model/resources.h"

namespace gleaner {

// What an attempt's reservation cost on its host: its share of the host's price over the time it
// held it, and the same share at the on-demand price.
struct AttemptCharge {
  CapacityLifecycle lifecycle = CapacityLifecycle::kUnpriced;
  std::string instance_type;
  double split_ratio = 0;
  double usd = 0;
  double on_demand_usd = 0;
};

// Prices the hosts of the capacity providers (the simulated cloud's instances, local capacity,
// agents' machines). BatchState asks it once per attempt, when the attempt ends; the host may be
// gone by then (a reclaimed instance), so it is named by id.
class HostPricing {
 public:
  virtual ~HostPricing() = default;
  // `remote`: the host is an agent's machine.
  virtual AttemptCharge ChargeAttempt(const std::string& instance_id, bool remote,
                                      const Resources& reserved, EpochMillis from,
                                      EpochMillis to) const = 0;
};

}  // namespace gleaner
