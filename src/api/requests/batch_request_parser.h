#pragma once

// AWS Batch wire requests -> typed requests. Each Parse* takes the request body as parsed JSON
// (any JSON value: a body that is not an object is an error) and checks every rule that needs no
// state: required members, JSON types, names, enums, ranges, list sizes, reserved names. The
// error is Status::InvalidArgument (or Unsupported for what gleaner does not run), whose message
// names the member by its path and the rule it breaks, ready to send as a ClientException.
// Members the server does not know are ignored, as AWS's JSON protocol ignores them. Rules that
// need state (unknown queue, name taken, ...) are BatchState's.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "scheduler/requests.h"

namespace gleaner {

// The requests scheduler/requests.h has no struct for: they carry one name or a list.
struct DeleteComputeEnvironmentRequest {
  std::string compute_environment;  // name or ARN
};
struct DeleteJobQueueRequest {
  std::string job_queue;  // name or ARN
};
struct DeleteSchedulingPolicyRequest {
  std::string arn;
};
struct DeregisterJobDefinitionRequest {
  std::string job_definition;  // name:revision or ARN
};
struct DescribeJobsRequest {
  std::vector<std::string> jobs;  // job ids
};
struct DescribeSchedulingPoliciesRequest {
  std::vector<std::string> arns;
};
struct ListSchedulingPoliciesRequest {
  PageRequest page;
};

// Compute environments.
Result<CreateComputeEnvironmentRequest> ParseCreateComputeEnvironment(const nlohmann::json& body);
Result<UpdateComputeEnvironmentRequest> ParseUpdateComputeEnvironment(const nlohmann::json& body);
Result<DescribeComputeEnvironmentsRequest> ParseDescribeComputeEnvironments(
    const nlohmann::json& body);
Result<DeleteComputeEnvironmentRequest> ParseDeleteComputeEnvironment(const nlohmann::json& body);

// Job queues. computeEnvironmentOrder comes back sorted by order.
Result<CreateJobQueueRequest> ParseCreateJobQueue(const nlohmann::json& body);
Result<UpdateJobQueueRequest> ParseUpdateJobQueue(const nlohmann::json& body);
Result<DescribeJobQueuesRequest> ParseDescribeJobQueues(const nlohmann::json& body);
Result<DeleteJobQueueRequest> ParseDeleteJobQueue(const nlohmann::json& body);

// Scheduling policies.
Result<CreateSchedulingPolicyRequest> ParseCreateSchedulingPolicy(const nlohmann::json& body);
Result<UpdateSchedulingPolicyRequest> ParseUpdateSchedulingPolicy(const nlohmann::json& body);
Result<DescribeSchedulingPoliciesRequest> ParseDescribeSchedulingPolicies(
    const nlohmann::json& body);
Result<ListSchedulingPoliciesRequest> ParseListSchedulingPolicies(const nlohmann::json& body);
Result<DeleteSchedulingPolicyRequest> ParseDeleteSchedulingPolicy(const nlohmann::json& body);

// Job definitions.
Result<RegisterJobDefinitionRequest> ParseRegisterJobDefinition(const nlohmann::json& body);
Result<DescribeJobDefinitionsRequest> ParseDescribeJobDefinitions(const nlohmann::json& body);
Result<DeregisterJobDefinitionRequest> ParseDeregisterJobDefinition(const nlohmann::json& body);

// Jobs.
Result<SubmitJobRequest> ParseSubmitJob(const nlohmann::json& body);
Result<DescribeJobsRequest> ParseDescribeJobs(const nlohmann::json& body);
Result<ListJobsRequest> ParseListJobs(const nlohmann::json& body);
Result<StopJobRequest> ParseCancelJob(const nlohmann::json& body);
Result<StopJobRequest> ParseTerminateJob(const nlohmann::json& body);

// Tags. The resource ARN comes from the path (/v1/tags/{resourceArn}, percent-decoded by the
// caller); TagResource's body is {"tags": {...}} with 1-50 tags; UntagResource's keys come from
// the query (?tagKeys=a&tagKeys=b), 1-50 of them.
Status CheckResourceArn(const std::string& resource_arn);
Result<TagMap> ParseTags(const nlohmann::json& body);
Status CheckTagKeys(const std::vector<std::string>& tag_keys);

// AWS's request size limits: SubmitJob 30 KiB, RegisterJobDefinition 24 KiB, anything else
// 1 MiB. `operation` is the AWS operation name ("SubmitJob").
Status CheckPayloadSize(const std::string& operation, size_t bytes);

}  // namespace gleaner
