#include "capacity/instance_cost.h"

#include <algorithm>

namespace gleaner {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;

double Usd(MicroUsdPerHour price) { return static_cast<double>(price) / 1e6; }

double FargateHourlyUsd(const Resources& capacity, const FargateRates& rates) {
  return static_cast<double>(capacity.millivcpus) / 1000.0 * rates.vcpu_hour_usd +
         static_cast<double>(capacity.memory_mib) / 1024.0 * rates.gb_hour_usd;
}

// The pool's spot price integrated over [from, to), hour by hour.
double SpotUsd(const SimulatedInstance& instance, const SpotPriceModel& prices, EpochMillis from,
               EpochMillis to) {
  double usd = 0;
  for (EpochMillis at = from; at < to;) {
    EpochMillis hour_ends =
        (at / SpotPriceModel::kPricePeriodMillis + 1) * SpotPriceModel::kPricePeriodMillis;
    EpochMillis until = std::min(to, hour_ends);
    MicroUsdPerHour price = prices.SpotPrice(instance.pool, at).value_or(instance.hourly_price);
    usd += Usd(price) * static_cast<double>(until - at) / kMillisPerHour;
    at = until;
  }
  return usd;
}

}  // namespace

CapacityLifecycle LifecycleOf(const SimulatedInstance& instance) {
  bool spot = instance.purchase == PurchaseOption::kSpot;
  if (instance.pool.instance_type == kFargateInstanceType) {
    return spot ? CapacityLifecycle::kFargateSpot : CapacityLifecycle::kFargate;
  }
  return spot ? CapacityLifecycle::kSpot : CapacityLifecycle::kOnDemand;
}

InstanceCost CostOfInstance(const SimulatedInstance& instance, const InstanceCatalog& catalog,
                            const SpotPriceModel& prices, EpochMillis from, EpochMillis to) {
  from = std::max(from, instance.launched_at);
  if (instance.terminated_at) to = std::min(to, *instance.terminated_at);
  if (to <= from) return {};
  double hours = static_cast<double>(to - from) / kMillisPerHour;
  InstanceCost cost;
  switch (LifecycleOf(instance)) {
    case CapacityLifecycle::kFargate:
      cost.usd = FargateHourlyUsd(instance.capacity, kFargateRates) * hours;
      cost.on_demand_usd = cost.usd;
      return cost;
    case CapacityLifecycle::kFargateSpot:
      cost.usd = FargateHourlyUsd(instance.capacity, kFargateSpotRates) * hours;
      cost.on_demand_usd = FargateHourlyUsd(instance.capacity, kFargateRates) * hours;
      return cost;
    default:
      break;
  }
  const InstanceType* type = catalog.Find(instance.pool.instance_type);
  MicroUsdPerHour on_demand = type != nullptr ? type->on_demand_price : instance.hourly_price;
  cost.on_demand_usd = Usd(on_demand) * hours;
  if (instance.purchase != PurchaseOption::kSpot) {
    cost.usd = Usd(instance.hourly_price) * hours;
  } else if (instance.block_ends_at) {
    cost.usd = Usd(instance.hourly_price) * hours;  // a spot block keeps its launch price
  } else {
    cost.usd = SpotUsd(instance, prices, from, to);
  }
  return cost;
}

}  // namespace gleaner
