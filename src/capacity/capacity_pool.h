#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "capacity/instance_catalog.h"

namespace gleaner {

// A spot pool: one instance type in one availability zone. Prices drift and interruptions strike
// per pool, so a compute environment spread over types and zones is spread over pools.
struct CapacityPool {
  std::string instance_type;      // "m5.xlarge"
  std::string availability_zone;  // "us-east-1a"

  auto operator<=>(const CapacityPool&) const = default;
  bool operator==(const CapacityPool&) const = default;
  std::string ToString() const;  // "m5.xlarge@us-east-1a"
};

// us-east-1a .. us-east-1f, the six zones of the catalog's region.
const std::vector<std::string>& AvailabilityZones();

// The zone a subnet lives in: FNV-1a of the subnet id modulo the six zones. Stable across runs and
// builds, so the same CreateComputeEnvironment always lands in the same zones.
std::string AvailabilityZoneForSubnet(std::string_view subnet_id);

// Every (type, zone) pair, sorted.
std::vector<CapacityPool> PoolsFor(const std::vector<InstanceType>& types,
                                   const std::vector<std::string>& zones);

}  // namespace gleaner
