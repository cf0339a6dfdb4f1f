#include "capacity/capacity_prices.h"

#include "capacity/instance_cost.h"
#include "capacity/simulated_cloud.h"
#include "model/arn.h"

namespace gleaner {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;

AttemptCharge PerVcpuHour(CapacityLifecycle lifecycle, double vcpu_hour_usd,
                          const Resources& reserved, EpochMillis from, EpochMillis to) {
  AttemptCharge charge;
  charge.lifecycle = lifecycle;
  if (to <= from) return charge;
  double vcpu_hours = static_cast<double>(reserved.millivcpus) / 1000.0 *
                      static_cast<double>(to - from) / kMillisPerHour;
  charge.usd = vcpu_hours * vcpu_hour_usd;
  charge.on_demand_usd = charge.usd;  // no other price to compare with
  return charge;
}

bool IsFargate(CapacityLifecycle lifecycle) {
  return lifecycle == CapacityLifecycle::kFargate || lifecycle == CapacityLifecycle::kFargateSpot;
}

}  // namespace

CapacityPrices::CapacityPrices(const SimulatedCloud* cloud, CapacityPriceOptions options)
    : cloud_(cloud), options_(options) {}

AttemptCharge CapacityPrices::ChargeAttempt(const std::string& instance_id, bool remote,
                                            const Resources& reserved, EpochMillis from,
                                            EpochMillis to) const {
  const SimulatedInstance* instance = nullptr;
  if (cloud_ != nullptr) {
    instance = cloud_->FindInstance(instance_id);
    auto retired = cloud_->retired_instances().find(instance_id);
    if (instance == nullptr && retired != cloud_->retired_instances().end()) {
      instance = &retired->second;
    }
  }
  if (instance == nullptr) {
    return remote ? PerVcpuHour(CapacityLifecycle::kAgent, options_.agent_vcpu_hour_usd, reserved,
                                from, to)
                  : PerVcpuHour(CapacityLifecycle::kLocal, options_.local_vcpu_hour_usd, reserved,
                                from, to);
  }
  InstanceCost whole = CostOfInstance(*instance, cloud_->catalog(), cloud_->prices(), from, to);
  AttemptCharge charge;
  charge.lifecycle = LifecycleOf(*instance);
  charge.instance_type = instance->pool.instance_type;
  charge.split_ratio = SplitRatio(reserved, instance->capacity);
  charge.usd = whole.usd * charge.split_ratio;
  charge.on_demand_usd = whole.on_demand_usd * charge.split_ratio;
  return charge;
}

std::vector<InstanceBill> CapacityPrices::Bills(EpochMillis since, EpochMillis now) const {
  std::vector<InstanceBill> bills;
  if (cloud_ == nullptr) return bills;
  for (const auto* instances : {&cloud_->instances(), &cloud_->retired_instances()}) {
    for (const auto& [id, instance] : *instances) {
      CapacityLifecycle lifecycle = LifecycleOf(instance);
      if (IsFargate(lifecycle)) continue;
      if (instance.terminated_at && *instance.terminated_at < since) continue;
      InstanceCost cost = CostOfInstance(instance, cloud_->catalog(), cloud_->prices(), since, now);
      bills.push_back({instance.instance_id,
                       ArnResourceName(instance.compute_environment_arn, "compute-environment"),
                       lifecycle, cost.usd, cost.on_demand_usd});
    }
  }
  return bills;
}

}  // namespace gleaner
