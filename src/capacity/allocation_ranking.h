#pragma once

// Internal to the capacity module: how each allocation strategy orders the pools that fit.

#include <string>
#include <vector>

#include "capacity/allocation.h"

namespace gleaner {

struct PoolRanking {
  std::vector<const PoolOffer*> pools;                // usable pools, best first
  AllocationReason reason = AllocationReason::kNone;  // why `pools` is empty
  std::string status_reason;
};

// The price the compute environment pays in the pool now: on-demand, or the drifted spot price.
MicroUsdPerHour PriceNow(const AllocationRequest& request, const PoolOffer& offer);

// Ranks `fitting` (offers whose type holds the largest job, within maxvCpus) by the request's
// strategy; `demand` is the sum of the jobs to cover. Pools in a recovery gap (spot) or priced
// above bidPercentage are left out; if that leaves none, says why.
//
// - BEST_FIT: the type with the lowest typical price (fewer vCPUs, then name, on ties), chosen
//   before looking at availability, so it waits for that type instead of switching.
// - BEST_FIT_PROGRESSIVE: every usable pool, cheapest to cover the demand first (instances needed
//   × price, which for a demand larger than one instance is the cheaper-per-vCPU order), then
//   price per vCPU.
// - SPOT_CAPACITY_OPTIMIZED: lowest interruption bucket first, then as BEST_FIT_PROGRESSIVE.
// - SPOT_PRICE_CAPACITY_OPTIMIZED: the pools within one bucket of the lowest usable bucket (the
//   high-capacity band) first, cheapest to cover the demand among them; the rest after.
// Ties always end on type name, then zone, so the order is total and deterministic.
PoolRanking RankPools(const AllocationRequest& request,
                      const std::vector<const PoolOffer*>& fitting, const Resources& demand);

}  // namespace gleaner
