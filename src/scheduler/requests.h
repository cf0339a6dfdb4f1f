#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/compute_environment.h"
#include "model/job.h"
#include "model/job_definition.h"
#include "model/job_queue.h"
#include "model/scheduling_policy.h"

// The AWS Batch operations as typed requests. The api module parses and validates the wire JSON
// into these (every field-level rule: names, enums, ranges, sizes); BatchState applies the rules
// that need state (unknown queue, name taken, CE still attached, ...).
namespace gleaner {

// Create requests reuse the model objects; fields the server fills in (arn, status, revision,
// createdAt, uuid, ecsClusterArn) are ignored on input. CreateJobQueue's computeEnvironmentOrder
// carries names or ARNs as the client sent them; BatchState resolves them to ARNs.
using CreateComputeEnvironmentRequest = ComputeEnvironment;
using CreateJobQueueRequest = JobQueue;
using CreateSchedulingPolicyRequest = SchedulingPolicy;
using RegisterJobDefinitionRequest = JobDefinition;

struct UpdateComputeEnvironmentRequest {
  std::string compute_environment;  // name or ARN
  std::optional<ResourceState> state;
  std::optional<int> unmanagedv_cpus;
  std::optional<std::string> service_role;
  // computeResources updates:
  std::optional<int> minv_cpus;
  std::optional<int> maxv_cpus;
  std::optional<int> desiredv_cpus;
  std::optional<std::vector<std::string>> instance_types;
  std::optional<std::string> allocation_strategy;
  std::optional<int> bid_percentage;
  nlohmann::json compute_resources_passthrough = nlohmann::json::object();  // other members
};

struct UpdateJobQueueRequest {
  std::string job_queue;  // name or ARN
  std::optional<ResourceState> state;
  std::optional<int> priority;
  std::optional<std::string> scheduling_policy_arn;
  std::optional<std::vector<ComputeEnvironmentOrder>> compute_environment_order;  // names or ARNs
  std::optional<std::vector<JobStateTimeLimitAction>> job_state_time_limit_actions;
};

struct UpdateSchedulingPolicyRequest {
  std::string arn;
  std::optional<FairsharePolicy> fairshare_policy;
};

struct ContainerOverrides {
  std::optional<std::vector<std::string>> command;
  std::vector<KeyValuePair> environment;                   // merged into the definition's by name
  std::vector<ResourceRequirement> resource_requirements;  // replace the definition's per type
  std::optional<int> vcpus;
  std::optional<int> memory;
  std::optional<std::string> instance_type;
};

// nodeOverrides.nodePropertyOverrides[]: containerOverrides for the nodes in targetNodes.
struct NodePropertyOverride {
  std::string target_nodes;
  std::optional<ContainerOverrides> container_overrides;
};

struct NodeOverrides {
  std::optional<int> num_nodes;
  std::vector<NodePropertyOverride> node_property_overrides;
};

struct SubmitJobRequest {
  std::string job_name;
  std::string job_queue;       // name or ARN
  std::string job_definition;  // name, name:revision or ARN
  std::map<std::string, std::string> parameters;
  std::optional<ContainerOverrides> container_overrides;
  std::optional<NodeOverrides> node_overrides;  // multi-node jobs only
  std::optional<int> array_size;                // arrayProperties.size
  std::vector<JobDependency> depends_on;
  std::optional<RetryStrategy> retry_strategy;
  std::optional<JobTimeout> timeout;
  std::optional<std::string> share_identifier;
  std::optional<int> scheduling_priority_override;
  std::optional<bool> propagate_tags;
  TagMap tags;
};

// Describe*/List* paging: at most `max_results` items after the opaque `next_token`.
struct PageRequest {
  std::optional<int> max_results;
  std::string next_token;
};

struct DescribeComputeEnvironmentsRequest {
  std::vector<std::string> compute_environments;  // names or ARNs; empty: all
  PageRequest page;
};

struct DescribeJobQueuesRequest {
  std::vector<std::string> job_queues;  // names or ARNs; empty: all
  PageRequest page;
};

struct DescribeJobDefinitionsRequest {
  std::vector<std::string> job_definitions;  // "name:revision" or ARNs
  std::string job_definition_name;
  std::string status;  // ACTIVE | INACTIVE | empty
  PageRequest page;
};

struct ListJobsFilter {
  std::string
      name;  // JOB_NAME | JOB_DEFINITION | BEFORE_CREATED_AT | AFTER_CREATED_AT | SHARE_IDENTIFIER
  std::vector<std::string> values;
};

struct ListJobsRequest {
  std::string job_queue;  // exactly one of these three
  std::string array_job_id;
  std::string multi_node_job_id;
  std::optional<JobStatus> job_status;  // omitted and no filters: RUNNING
  std::vector<ListJobsFilter> filters;
  PageRequest page;
};

struct StopJobRequest {  // CancelJob and TerminateJob
  std::string job_id;
  std::string reason;
};

}  // namespace gleaner
