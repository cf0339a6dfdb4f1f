#pragma once

#include "capacity/ec2_cloud.h"
#include "capacity/instance_catalog.h"
#include "capacity/spot_price.h"
#include "common/clock.h"
#include "model/attempt_cost.h"

namespace gleaner {

// Fargate's prices per vCPU-hour and GB-hour (us-east-1, Linux on x86; Fargate Spot about 70 %
// less). A Fargate task is billed for the vCPU and memory it asks for, so it has no idle share.
struct FargateRates {
  double vcpu_hour_usd = 0;
  double gb_hour_usd = 0;
};
inline constexpr FargateRates kFargateRates{0.04048, 0.004445};
inline constexpr FargateRates kFargateSpotRates{0.01334058, 0.00146489};

// What a whole instance cost over a span of time.
struct InstanceCost {
  double usd = 0;
  double on_demand_usd = 0;  // at the on-demand price of its type: the savings baseline
};

// spot, on-demand, fargate or fargate-spot.
CapacityLifecycle LifecycleOf(const SimulatedInstance& instance);

// What the instance cost from `from` to `to`, clipped to its life (launch to termination), per
// second as EC2 bills: a spot instance at its pool's spot price of each hour (a spot block at the
// price it launched at), an on-demand one at its price, a Fargate one at Fargate's rates for its
// size.
InstanceCost CostOfInstance(const SimulatedInstance& instance, const InstanceCatalog& catalog,
                            const SpotPriceModel& prices, EpochMillis from, EpochMillis to);

}  // namespace gleaner
