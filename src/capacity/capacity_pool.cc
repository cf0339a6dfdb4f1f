#include "capacity/capacity_pool.h"

#include <algorithm>
#include <set>

#include "capacity/seeded_random.h"

namespace gleaner {

std::string CapacityPool::ToString() const { return instance_type + "@" + availability_zone; }

const std::vector<std::string>& AvailabilityZones() {
  static const std::vector<std::string> kZones = {"us-east-1a", "us-east-1b", "us-east-1c",
                                                  "us-east-1d", "us-east-1e", "us-east-1f"};
  return kZones;
}

std::string AvailabilityZoneForSubnet(std::string_view subnet_id) {
  const std::vector<std::string>& zones = AvailabilityZones();
  return zones[StableHash(subnet_id) % zones.size()];
}

std::vector<CapacityPool> PoolsFor(const std::vector<InstanceType>& types,
                                   const std::vector<std::string>& zones) {
  std::vector<CapacityPool> pools;
  pools.reserve(types.size() * zones.size());
  for (const InstanceType& type : types) {
    for (const std::string& zone : zones) pools.push_back({type.name, zone});
  }
  std::sort(pools.begin(), pools.end());
  return pools;
}

}  // namespace gleaner
