#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/compute_environment.h"

namespace gleaner {

struct ShareAttributes {
  std::string share_identifier;  // may end in '*' (prefix)
  std::optional<double> weight_factor;
};

struct FairsharePolicy {
  std::optional<int> share_decay_seconds;
  std::optional<int> compute_reservation;
  std::vector<ShareAttributes> share_distribution;
};

struct SchedulingPolicy {
  std::string name;
  std::string arn;
  std::optional<FairsharePolicy> fairshare_policy;
  TagMap tags;
};

}  // namespace gleaner
