#include "capacity/allocation_ranking.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>
#include <utility>

namespace gleaner {
namespace {

// Sort key: up to four numbers, then type name and zone to make the order total.
using RankKey = std::tuple<int64_t, int64_t, int64_t, int64_t, std::string_view, std::string_view>;

bool IsSpot(const AllocationRequest& request) { return request.purchase == PurchaseOption::kSpot; }

MicroUsdPerHour TypicalPrice(const AllocationRequest& request, const PoolOffer& offer) {
  return IsSpot(request) ? *offer.typical_spot_price : offer.on_demand_price;
}

bool AboveBid(const AllocationRequest& request, const PoolOffer& offer) {
  return IsSpot(request) &&
         *offer.spot_price * 100 > offer.on_demand_price * int64_t{request.bid_percentage};
}

bool Usable(const AllocationRequest& request, const PoolOffer& offer) {
  return !(IsSpot(request) && offer.in_recovery_gap) && !AboveBid(request, offer);
}

int64_t CeilDiv(int64_t numerator, int64_t denominator) {
  return (numerator + denominator - 1) / denominator;
}

// Instances of this capacity that the demand needs at least, dimension by dimension.
int64_t InstancesToCover(const Resources& demand, const Resources& capacity) {
  int64_t count = 1;
  if (capacity.millivcpus > 0)
    count = std::max(count, CeilDiv(demand.millivcpus, capacity.millivcpus));
  if (capacity.memory_mib > 0)
    count = std::max(count, CeilDiv(demand.memory_mib, capacity.memory_mib));
  if (capacity.gpus > 0) count = std::max(count, CeilDiv(demand.gpus, capacity.gpus));
  return count;
}

int64_t CostToCover(const AllocationRequest& request, const PoolOffer& offer,
                    const Resources& demand) {
  return InstancesToCover(demand, offer.capacity) * PriceNow(request, offer);
}

// Micro-USD per hour per 1000 vCPUs: fine enough to order types, exact in integers.
int64_t PricePerKiloVcpu(const AllocationRequest& request, const PoolOffer& offer) {
  return PriceNow(request, offer) * 1'000'000 / std::max<int64_t>(1, offer.capacity.millivcpus);
}

std::vector<const PoolOffer*> SortedBy(std::vector<const PoolOffer*> pools,
                                       const std::function<RankKey(const PoolOffer&)>& key) {
  std::stable_sort(pools.begin(), pools.end(),
                   [&](const PoolOffer* a, const PoolOffer* b) { return key(*a) < key(*b); });
  return pools;
}

PoolRanking Ranked(std::vector<const PoolOffer*> pools) {
  PoolRanking ranking;
  ranking.pools = std::move(pools);
  return ranking;
}

std::string TypeList(const std::vector<const PoolOffer*>& pools) {
  std::set<std::string> names;
  for (const PoolOffer* offer : pools) names.insert(offer->pool.instance_type);
  std::string list;
  int shown = 0;
  for (const std::string& name : names) {
    if (shown++ == 5) return list + ", ...";
    list += (list.empty() ? "" : ", ") + name;
  }
  return list;
}

// Why none of `pools` can launch.
PoolRanking NothingUsable(const AllocationRequest& request,
                          const std::vector<const PoolOffer*>& pools) {
  bool all_above_bid = std::all_of(pools.begin(), pools.end(), [&](const PoolOffer* offer) {
    return AboveBid(request, *offer);
  });
  PoolRanking ranking;
  if (all_above_bid && !pools.empty()) {
    ranking.reason = AllocationReason::kSpotPriceAboveBid;
    ranking.status_reason = "CAPACITY:SPOT_PRICE_ABOVE_BID - The spot price of instance type [" +
                            TypeList(pools) + "] is above bidPercentage " +
                            std::to_string(request.bid_percentage) + " of the On-Demand price";
  } else {
    ranking.reason = AllocationReason::kInsufficientCapacity;
    ranking.status_reason =
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested "
        "for instance type [" +
        TypeList(pools) + "]";
  }
  return ranking;
}

std::vector<const PoolOffer*> UsableOnly(const AllocationRequest& request,
                                         const std::vector<const PoolOffer*>& pools) {
  std::vector<const PoolOffer*> usable;
  for (const PoolOffer* offer : pools) {
    if (Usable(request, *offer)) usable.push_back(offer);
  }
  return usable;
}

PoolRanking RankBestFit(const AllocationRequest& request,
                        const std::vector<const PoolOffer*>& fitting) {
  auto type_key = [&](const PoolOffer* offer) {
    return std::tuple(TypicalPrice(request, *offer), offer->capacity.millivcpus,
                      std::string_view(offer->pool.instance_type));
  };
  const PoolOffer* best = *std::min_element(
      fitting.begin(), fitting.end(),
      [&](const PoolOffer* a, const PoolOffer* b) { return type_key(a) < type_key(b); });
  std::vector<const PoolOffer*> best_type_pools;
  for (const PoolOffer* offer : fitting) {
    if (offer->pool.instance_type == best->pool.instance_type) best_type_pools.push_back(offer);
  }
  std::vector<const PoolOffer*> usable = UsableOnly(request, best_type_pools);
  if (usable.empty()) return NothingUsable(request, best_type_pools);
  return Ranked(SortedBy(usable, [&](const PoolOffer& offer) {
    return RankKey{PriceNow(request, offer),    0, 0, 0, offer.pool.instance_type,
                   offer.pool.availability_zone};
  }));
}

RankKey CheapestToCoverKey(const AllocationRequest& request, const PoolOffer& offer,
                           const Resources& demand, int64_t first) {
  return RankKey{first,
                 CostToCover(request, offer, demand),
                 PricePerKiloVcpu(request, offer),
                 0,
                 offer.pool.instance_type,
                 offer.pool.availability_zone};
}

std::vector<const PoolOffer*> RankProgressive(const AllocationRequest& request,
                                              const std::vector<const PoolOffer*>& usable,
                                              const Resources& demand) {
  return SortedBy(usable, [&](const PoolOffer& offer) {
    return CheapestToCoverKey(request, offer, demand, 0);
  });
}

std::vector<const PoolOffer*> RankCapacityOptimized(const AllocationRequest& request,
                                                    const std::vector<const PoolOffer*>& usable,
                                                    const Resources& demand) {
  return SortedBy(usable, [&](const PoolOffer& offer) {
    return CheapestToCoverKey(request, offer, demand, offer.interruption_bucket);
  });
}

std::vector<const PoolOffer*> RankPriceCapacityOptimized(
    const AllocationRequest& request, const std::vector<const PoolOffer*>& usable,
    const Resources& demand) {
  int lowest_bucket = kInterruptionBucketCount;
  for (const PoolOffer* offer : usable) {
    lowest_bucket = std::min(lowest_bucket, offer->interruption_bucket);
  }
  return SortedBy(usable, [&](const PoolOffer& offer) {
    bool high_capacity = offer.interruption_bucket <= lowest_bucket + 1;
    return CheapestToCoverKey(request, offer, demand, high_capacity ? 0 : 1);
  });
}

}  // namespace

MicroUsdPerHour PriceNow(const AllocationRequest& request, const PoolOffer& offer) {
  return IsSpot(request) ? *offer.spot_price : offer.on_demand_price;
}

PoolRanking RankPools(const AllocationRequest& request,
                      const std::vector<const PoolOffer*>& fitting, const Resources& demand) {
  if (request.strategy == AllocationStrategy::kBestFit) return RankBestFit(request, fitting);
  std::vector<const PoolOffer*> usable = UsableOnly(request, fitting);
  if (usable.empty()) return NothingUsable(request, fitting);
  switch (request.strategy) {
    case AllocationStrategy::kBestFit:
    case AllocationStrategy::kBestFitProgressive:
      break;
    case AllocationStrategy::kSpotCapacityOptimized:
      return Ranked(RankCapacityOptimized(request, usable, demand));
    case AllocationStrategy::kSpotPriceCapacityOptimized:
      return Ranked(RankPriceCapacityOptimized(request, usable, demand));
  }
  return Ranked(RankProgressive(request, usable, demand));
}

}  // namespace gleaner
