#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace gleaner {

// Which availability zone each subnet is in. On AWS the VPC knows; the simulated cloud learns it:
// from `gleaner up --subnet-zone SUBNET=ZONE`, or from the first request that names a subnet
// together with a zone (RequestSpotInstances' LaunchSpecification.SubnetId and
// Placement.AvailabilityZone, as aws-batch-spot-block.txt sends them). A subnet it has not learnt
// is in a zone derived from its id (AvailabilityZoneForSubnet: a stable hash over the region's
// zones), so a compute environment's subnets spread over zones, the same way on every run.
class SubnetZones {
 public:
  SubnetZones() = default;
  // `declared`: subnet id -> zone; InvalidArgument names a zone that is not the region's.
  static Result<SubnetZones> Declared(std::map<std::string, std::string> declared);

  std::string ZoneOf(std::string_view subnet_id) const;
  // The zones of a compute environment's subnets, each once, sorted; every zone for none.
  std::vector<std::string> ZonesOf(const std::vector<std::string>& subnet_ids) const;
  // A request puts `subnet_id` in `zone`: refused when the subnet is known to be in another zone;
  // otherwise the subnet is in `zone` from now on.
  Status Place(const std::string& subnet_id, const std::string& zone);
  // Whether `subnet_id` may be placed in `zone` (Place without learning).
  Status Check(const std::string& subnet_id, const std::string& zone) const;

 private:
  explicit SubnetZones(std::map<std::string, std::string> known) : known_(std::move(known)) {}

  std::map<std::string, std::string> known_;  // declared or learnt
};

}  // namespace gleaner
