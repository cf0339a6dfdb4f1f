#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capacity/capacity_pool.h"
#include "capacity/instance_catalog.h"
#include "capacity/interruption_model.h"
#include "capacity/spot_price.h"
#include "common/clock.h"
#include "model/resources.h"

namespace gleaner {

// What the market offers in one pool at one moment: the allocation strategies' whole input about
// capacity, so they stay pure functions that tests can feed with hand-made offers.
struct PoolOffer {
  CapacityPool pool;
  Resources capacity;  // of one instance
  MicroUsdPerHour on_demand_price = 0;
  std::optional<MicroUsdPerHour> typical_spot_price;  // nullopt: no spot offering
  std::optional<MicroUsdPerHour> spot_price;          // now, with drift
  int interruption_bucket = kInterruptionBucketCount - 1;
  bool in_recovery_gap = false;  // spot capacity only: on-demand pools are never reclaimed
};

// The offers of every (type, zone) pool at `now`, sorted by pool.
std::vector<PoolOffer> BuildPoolOffers(const std::vector<InstanceType>& types,
                                       const std::vector<std::string>& zones,
                                       const SpotPriceModel& prices,
                                       InterruptionModel& interruptions, EpochMillis now);

}  // namespace gleaner
