#include "model/json_codec.h"

#include "model/json_members.h"

// The resources' codecs: compute environments, job queues and scheduling policies. Job definitions
// and jobs are in job_codec.cc.

namespace gleaner {
namespace {

using nlohmann::json;

// ---- ComputeResources ----

void ReadComputeResources(JsonObjectReader& in, ComputeResources& out) {
  in.Read("type", out.type);
  in.Read("allocationStrategy", out.allocation_strategy);
  in.Read("minvCpus", out.minv_cpus);
  in.Read("maxvCpus", out.maxv_cpus);
  in.Read("desiredvCpus", out.desiredv_cpus);
  in.Read("instanceTypes", out.instance_types);
  in.Read("bidPercentage", out.bid_percentage);
  out.passthrough = in.UnreadMembers();  // subnets, securityGroupIds, launchTemplate, ...
}

// ---- ComputeEnvironment ----

// A state or status member: absent keeps `out`; a value AWS does not have is an error.
template <typename Enum>
void ReadEnum(JsonObjectReader& in, std::string_view name, Enum& out,
              std::optional<Enum> (*parse)(std::string_view), std::string_view kind) {
  std::optional<std::string> text;
  in.Read(name, text);
  if (!text || !in.ok()) return;
  std::optional<Enum> value = parse(*text);
  if (!value) return in.Fail(name, "'" + *text + "' is not a " + std::string(kind));
  out = *value;
}

void ReadStateAndStatus(JsonObjectReader& in, ResourceState& state, ResourceStatus& status) {
  ReadEnum(in, "state", state, ParseResourceState, "state (ENABLED, DISABLED)");
  ReadEnum(in, "status", status, ParseResourceStatus, "status");
}

void ReadComputeEnvironment(JsonObjectReader& in, ComputeEnvironment& out) {
  in.Require("computeEnvironmentName");
  in.Read("computeEnvironmentName", out.name);
  in.Read("computeEnvironmentArn", out.arn);
  in.Read("type", out.type);
  ReadStateAndStatus(in, out.state, out.status);
  in.Read("statusReason", out.status_reason);
  in.Read("unmanagedvCpus", out.unmanagedv_cpus);
  in.ReadObject("computeResources", out.compute_resources, ReadComputeResources);
  in.Read("serviceRole", out.service_role);
  in.Read("ecsClusterArn", out.ecs_cluster_arn);
  in.Read("uuid", out.uuid);
  in.Read("tags", out.tags);
  in.ReadRaw("updatePolicy", out.update_policy);
}

// The bookkeeping every resource record carries.
json ResourceBookkeeping(EpochMillis created_at) { return {{"createdAt", created_at}}; }

void ReadResourceBookkeeping(JsonObjectReader& in, EpochMillis& created_at) {
  in.Read("createdAt", created_at);
}

// ---- JobQueue ----

void ReadComputeEnvironmentOrder(JsonObjectReader& in, ComputeEnvironmentOrder& out) {
  in.Read("order", out.order);
  in.Read("computeEnvironment", out.compute_environment);
}

void ReadJobStateTimeLimitAction(JsonObjectReader& in, JobStateTimeLimitAction& out) {
  in.Read("reason", out.reason);
  in.Read("state", out.state);
  in.Read("maxTimeSeconds", out.max_time_seconds);
  in.Read("action", out.action);
}

void ReadJobQueue(JsonObjectReader& in, JobQueue& out) {
  in.Require("jobQueueName");
  in.Read("jobQueueName", out.name);
  in.Read("jobQueueArn", out.arn);
  ReadStateAndStatus(in, out.state, out.status);
  in.Read("statusReason", out.status_reason);
  in.Read("priority", out.priority);
  in.Read("schedulingPolicyArn", out.scheduling_policy_arn);
  in.ReadObjectList("computeEnvironmentOrder", out.compute_environment_order,
                    ReadComputeEnvironmentOrder);
  in.ReadObjectList("jobStateTimeLimitActions", out.job_state_time_limit_actions,
                    ReadJobStateTimeLimitAction);
  in.Read("tags", out.tags);
}

// ---- SchedulingPolicy ----

void ReadShareAttributes(JsonObjectReader& in, ShareAttributes& out) {
  in.Read("shareIdentifier", out.share_identifier);
  in.Read("weightFactor", out.weight_factor);
}

void ReadFairsharePolicy(JsonObjectReader& in, FairsharePolicy& out) {
  in.Read("shareDecaySeconds", out.share_decay_seconds);
  in.Read("computeReservation", out.compute_reservation);
  in.ReadObjectList("shareDistribution", out.share_distribution, ReadShareAttributes);
}

void ReadSchedulingPolicy(JsonObjectReader& in, SchedulingPolicy& out) {
  in.Require("name");
  in.Read("name", out.name);
  in.Read("arn", out.arn);
  in.ReadObject("fairsharePolicy", out.fairshare_policy, ReadFairsharePolicy);
  in.Read("tags", out.tags);
}

}  // namespace

json ToJson(const ComputeResources& resources) {
  json out = PassthroughWithout(
      resources.passthrough, {"type", "allocationStrategy", "minvCpus", "maxvCpus", "desiredvCpus",
                              "instanceTypes", "bidPercentage"});
  SetIfNotEmpty(out, "type", resources.type);
  SetIfNotEmpty(out, "allocationStrategy", resources.allocation_strategy);
  SetIfPresent(out, "minvCpus", resources.minv_cpus);
  out["maxvCpus"] = resources.maxv_cpus;
  SetIfPresent(out, "desiredvCpus", resources.desiredv_cpus);
  SetIfNotEmpty(out, "instanceTypes", resources.instance_types);
  SetIfPresent(out, "bidPercentage", resources.bid_percentage);
  return out;
}

Result<ComputeResources> ComputeResourcesFromJson(const json& document) {
  return ParseObject<ComputeResources>(document, "computeResources", ReadComputeResources);
}

json ToJson(const ComputeEnvironment& environment) {
  json out = {
      {"computeEnvironmentName", environment.name},
      {"computeEnvironmentArn", environment.arn},
      {"containerOrchestrationType", "ECS"},  // the only orchestration gleaner imitates
  };
  SetIfNotEmpty(out, "type", environment.type);
  out["state"] = ToString(environment.state);
  out["status"] = ToString(environment.status);
  SetIfNotEmpty(out, "statusReason", environment.status_reason);
  SetIfPresent(out, "unmanagedvCpus", environment.unmanagedv_cpus);
  if (environment.compute_resources) {
    out["computeResources"] = ToJson(*environment.compute_resources);
  }
  SetIfNotEmpty(out, "serviceRole", environment.service_role);
  SetIfNotEmpty(out, "ecsClusterArn", environment.ecs_cluster_arn);
  SetIfNotEmpty(out, "uuid", environment.uuid);
  SetIfNotEmpty(out, "tags", environment.tags);
  if (!environment.update_policy.is_null()) out["updatePolicy"] = environment.update_policy;
  return out;
}

json ToRecord(const ComputeEnvironment& environment) {
  json record = ToJson(environment);
  record[kBookkeepingMember] = ResourceBookkeeping(environment.created_at);
  return record;
}

Result<ComputeEnvironment> ComputeEnvironmentFromRecord(const json& record) {
  return ParseObject<ComputeEnvironment>(
      record, "", [](JsonObjectReader& in, ComputeEnvironment& out) {
        ReadComputeEnvironment(in, out);
        in.ReadObject(kBookkeepingMember, out.created_at, ReadResourceBookkeeping);
      });
}

json ToJson(const JobQueue& queue) {
  json order = json::array();
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    order.push_back({{"order", entry.order}, {"computeEnvironment", entry.compute_environment}});
  }
  json out = {
      {"jobQueueName", queue.name},
      {"jobQueueArn", queue.arn},
      {"state", ToString(queue.state)},
      {"priority", queue.priority},
      {"computeEnvironmentOrder", std::move(order)},
  };
  out["status"] = ToString(queue.status);
  SetIfNotEmpty(out, "statusReason", queue.status_reason);
  SetIfNotEmpty(out, "schedulingPolicyArn", queue.scheduling_policy_arn);
  if (!queue.job_state_time_limit_actions.empty()) {
    json actions = json::array();
    for (const JobStateTimeLimitAction& action : queue.job_state_time_limit_actions) {
      actions.push_back({{"reason", action.reason},
                         {"state", action.state},
                         {"maxTimeSeconds", action.max_time_seconds},
                         {"action", action.action}});
    }
    out["jobStateTimeLimitActions"] = std::move(actions);
  }
  SetIfNotEmpty(out, "tags", queue.tags);
  return out;
}

json ToRecord(const JobQueue& queue) {
  json record = ToJson(queue);
  record[kBookkeepingMember] = ResourceBookkeeping(queue.created_at);
  if (!queue.fair_share_usage.empty()) {
    record[kBookkeepingMember]["fairShareUsage"] = queue.fair_share_usage;
  }
  return record;
}

Result<JobQueue> JobQueueFromRecord(const json& record) {
  return ParseObject<JobQueue>(record, "", [](JsonObjectReader& in, JobQueue& out) {
    ReadJobQueue(in, out);
    in.ReadObject(kBookkeepingMember, out, [](JsonObjectReader& bookkeeping, JobQueue& queue) {
      ReadResourceBookkeeping(bookkeeping, queue.created_at);
      bookkeeping.Read("fairShareUsage", queue.fair_share_usage);
    });
  });
}

json ToJson(const FairsharePolicy& policy) {
  json out = json::object();
  SetIfPresent(out, "shareDecaySeconds", policy.share_decay_seconds);
  SetIfPresent(out, "computeReservation", policy.compute_reservation);
  if (!policy.share_distribution.empty()) {
    json distribution = json::array();
    for (const ShareAttributes& share : policy.share_distribution) {
      json attributes = {{"shareIdentifier", share.share_identifier}};
      SetIfPresent(attributes, "weightFactor", share.weight_factor);
      distribution.push_back(std::move(attributes));
    }
    out["shareDistribution"] = std::move(distribution);
  }
  return out;
}

Result<FairsharePolicy> FairsharePolicyFromJson(const json& document) {
  return ParseObject<FairsharePolicy>(document, "fairsharePolicy", ReadFairsharePolicy);
}

json ToJson(const SchedulingPolicy& policy) {
  json out = {{"name", policy.name}, {"arn", policy.arn}};
  if (policy.fairshare_policy) out["fairsharePolicy"] = ToJson(*policy.fairshare_policy);
  SetIfNotEmpty(out, "tags", policy.tags);
  return out;
}

// A scheduling policy has no bookkeeping yet; the empty member keeps every record's shape alike.
json ToRecord(const SchedulingPolicy& policy) {
  json record = ToJson(policy);
  record[kBookkeepingMember] = json::object();
  return record;
}

Result<SchedulingPolicy> SchedulingPolicyFromRecord(const json& record) {
  return ParseObject<SchedulingPolicy>(record, "", ReadSchedulingPolicy);
}

}  // namespace gleaner
