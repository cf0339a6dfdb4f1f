#include "capacity/subnet_zones.h"

#include <algorithm>
#include <set>

#include "capacity/capacity_pool.h"

namespace gleaner {

Result<SubnetZones> SubnetZones::Declared(std::map<std::string, std::string> declared) {
  const std::vector<std::string>& zones = AvailabilityZones();
  for (const auto& [subnet, zone] : declared) {
    if (subnet.empty()) return Status::InvalidArgument("a subnet id is empty");
    if (std::find(zones.begin(), zones.end(), zone) == zones.end()) {
      return Status::InvalidArgument("subnet " + subnet + ": " + zone +
                                     " is not an availability zone of the simulated region");
    }
  }
  return SubnetZones(std::move(declared));
}

std::string SubnetZones::ZoneOf(std::string_view subnet_id) const {
  auto known = known_.find(std::string(subnet_id));
  return known == known_.end() ? AvailabilityZoneForSubnet(subnet_id) : known->second;
}

std::vector<std::string> SubnetZones::ZonesOf(const std::vector<std::string>& subnet_ids) const {
  if (subnet_ids.empty()) return AvailabilityZones();
  std::set<std::string> zones;
  for (const std::string& subnet : subnet_ids) zones.insert(ZoneOf(subnet));
  return {zones.begin(), zones.end()};
}

Status SubnetZones::Check(const std::string& subnet_id, const std::string& zone) const {
  auto known = known_.find(subnet_id);
  if (known == known_.end() || known->second == zone) return Status::Ok();
  return Status::InvalidArgument("The subnet " + subnet_id + " is in " + known->second +
                                 ", not in " + zone + ".");
}

Status SubnetZones::Place(const std::string& subnet_id, const std::string& zone) {
  GLEANER_RETURN_IF_ERROR(Check(subnet_id, zone));
  known_[subnet_id] = zone;
  return Status::Ok();
}

}  // namespace gleaner
