#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/resource_state.h"

namespace gleaner {

using TagMap = std::map<std::string, std::string>;

// CreateComputeEnvironment's model. Fields the scheduler reads are typed; the rest of
// computeResources (subnets, securityGroupIds, launchTemplate, ...) is kept as given and echoed
// back.
struct ComputeResources {
  std::string type;                 // EC2 | SPOT | FARGATE | FARGATE_SPOT
  std::string allocation_strategy;  // empty for Fargate; BEST_FIT when EC2/SPOT omit it
  std::optional<int> minv_cpus;
  int maxv_cpus = 0;
  std::optional<int> desiredv_cpus;
  std::vector<std::string> instance_types;
  std::optional<int> bid_percentage;
  nlohmann::json passthrough =
      nlohmann::json::object();  // every other member, as the client sent it
};

struct ComputeEnvironment {
  std::string name;
  std::string arn;
  std::string type;  // MANAGED | UNMANAGED
  ResourceState state = ResourceState::kEnabled;
  ResourceStatus status = ResourceStatus::kValid;
  std::string status_reason;
  std::optional<int> unmanagedv_cpus;
  std::optional<ComputeResources> compute_resources;  // MANAGED only
  std::string service_role;
  std::string ecs_cluster_arn;
  std::string uuid;
  TagMap tags;
  nlohmann::json update_policy;  // null when absent
  EpochMillis created_at = 0;

  bool IsFargate() const {
    return compute_resources &&
           (compute_resources->type == "FARGATE" || compute_resources->type == "FARGATE_SPOT");
  }
};

}  // namespace gleaner
