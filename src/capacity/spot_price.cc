#include "capacity/spot_price.h"

#include <algorithm>
#include <cmath>

#include "capacity/seeded_random.h"

namespace gleaner {
namespace {

int64_t HourIndex(EpochMillis now) {
  int64_t hour = now / SpotPriceModel::kPricePeriodMillis;
  return (now % SpotPriceModel::kPricePeriodMillis < 0) ? hour - 1 : hour;  // floor for negatives
}

}  // namespace

SpotPriceModel::SpotPriceModel(const InstanceCatalog& catalog, uint64_t seed, double drift_bound)
    : catalog_(catalog), seed_(seed), drift_bound_(drift_bound) {}

double SpotPriceModel::Drift(const CapacityPool& pool, EpochMillis now) const {
  uint64_t pool_seed = MixSeed(seed_, StableHash(pool.ToString()));
  uint64_t hour_bits = MixSeed(pool_seed, static_cast<uint64_t>(HourIndex(now)));
  return drift_bound_ * (2.0 * UnitInterval(hour_bits) - 1.0);
}

std::optional<MicroUsdPerHour> SpotPriceModel::SpotPrice(const CapacityPool& pool,
                                                         EpochMillis now) const {
  const InstanceType* type = catalog_.Find(pool.instance_type);
  if (type == nullptr) return std::nullopt;
  std::optional<MicroUsdPerHour> typical = type->TypicalSpotPrice();
  if (!typical) return std::nullopt;
  auto drifted = static_cast<MicroUsdPerHour>(
      std::llround(static_cast<double>(*typical) * (1.0 + Drift(pool, now))));
  return std::min(drifted, type->on_demand_price);
}

}  // namespace gleaner
