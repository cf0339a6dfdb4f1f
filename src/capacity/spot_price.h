#pragma once

#include <cstdint>
#include <optional>

#include "capacity/capacity_pool.h"
#include "capacity/instance_catalog.h"
#include "common/clock.h"

namespace gleaner {

// Spot prices per pool: the Spot Advisor's typical price, on-demand × (1 − savings), moved by a
// deterministic drift that is constant within each UTC hour and redrawn every hour, uniform within
// ±drift_bound. Like AWS, a spot price never exceeds the on-demand price. The drift of an hour is a
// pure function of (seed, pool, hour), so prices can be asked for any time, in any order.
class SpotPriceModel {
 public:
  static constexpr int64_t kPricePeriodMillis = 3'600'000;

  // `catalog` must outlive the model.
  SpotPriceModel(const InstanceCatalog& catalog, uint64_t seed, double drift_bound = 0.10);

  // nullopt when the type is unknown or has no spot offering.
  std::optional<MicroUsdPerHour> SpotPrice(const CapacityPool& pool, EpochMillis now) const;

  // The relative drift of the pool's price in the hour holding `now`, in [−bound, +bound].
  double Drift(const CapacityPool& pool, EpochMillis now) const;

  double drift_bound() const { return drift_bound_; }

 private:
  const InstanceCatalog& catalog_;
  uint64_t seed_;
  double drift_bound_;
};

}  // namespace gleaner
