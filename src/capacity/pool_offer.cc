#include "capacity/pool_offer.h"

#include <algorithm>

namespace gleaner {

std::vector<PoolOffer> BuildPoolOffers(const std::vector<InstanceType>& types,
                                       const std::vector<std::string>& zones,
                                       const SpotPriceModel& prices,
                                       InterruptionModel& interruptions, EpochMillis now) {
  std::vector<PoolOffer> offers;
  offers.reserve(types.size() * zones.size());
  for (const InstanceType& type : types) {
    for (const std::string& zone : zones) {
      PoolOffer offer;
      offer.pool = {type.name, zone};
      offer.capacity = type.Capacity();
      offer.on_demand_price = type.on_demand_price;
      offer.typical_spot_price = type.TypicalSpotPrice();
      offer.spot_price = prices.SpotPrice(offer.pool, now);
      if (type.spot) offer.interruption_bucket = type.spot->interruption_bucket;
      offer.in_recovery_gap = !interruptions.CanLaunch(offer.pool, now);
      offers.push_back(std::move(offer));
    }
  }
  std::sort(offers.begin(), offers.end(),
            [](const PoolOffer& a, const PoolOffer& b) { return a.pool < b.pool; });
  return offers;
}

}  // namespace gleaner
