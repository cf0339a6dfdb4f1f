#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "api/batch_executor.h"

namespace gleaner {

// One AWS Batch operation: parse and validate the body, run it on the scheduler, encode the answer.
using BatchOperationHandler = void (*)(const nlohmann::json& body, BatchExecutor& executor,
                                       BatchReply reply);

struct BatchOperation {
  std::string_view name;  // "SubmitJob"; the path is /v1/ + lower case
  BatchOperationHandler handler;
};

// The operation served at /v1/<lowercase_name>, or nullptr.
const BatchOperation* FindBatchOperation(std::string_view lowercase_name);
// "CancelJob, CreateComputeEnvironment, ..." for error messages.
std::string BatchOperationNames();

// The tag operations, addressed by ARN in the path.
void ListTagsForResource(const std::string& arn, BatchExecutor& executor, BatchReply reply);
void TagResource(const std::string& arn, const nlohmann::json& body, BatchExecutor& executor,
                 BatchReply reply);
void UntagResource(const std::string& arn, const std::vector<std::string>& keys,
                   BatchExecutor& executor, BatchReply reply);

// Handlers by area (batch_catalog_operations.cc, batch_job_operations.cc).
void CreateComputeEnvironment(const nlohmann::json&, BatchExecutor&, BatchReply);
void UpdateComputeEnvironment(const nlohmann::json&, BatchExecutor&, BatchReply);
void DeleteComputeEnvironment(const nlohmann::json&, BatchExecutor&, BatchReply);
void DescribeComputeEnvironments(const nlohmann::json&, BatchExecutor&, BatchReply);
void CreateJobQueue(const nlohmann::json&, BatchExecutor&, BatchReply);
void UpdateJobQueue(const nlohmann::json&, BatchExecutor&, BatchReply);
void DeleteJobQueue(const nlohmann::json&, BatchExecutor&, BatchReply);
void DescribeJobQueues(const nlohmann::json&, BatchExecutor&, BatchReply);
void CreateSchedulingPolicy(const nlohmann::json&, BatchExecutor&, BatchReply);
void UpdateSchedulingPolicy(const nlohmann::json&, BatchExecutor&, BatchReply);
void DeleteSchedulingPolicy(const nlohmann::json&, BatchExecutor&, BatchReply);
void DescribeSchedulingPolicies(const nlohmann::json&, BatchExecutor&, BatchReply);
void ListSchedulingPolicies(const nlohmann::json&, BatchExecutor&, BatchReply);
void RegisterJobDefinition(const nlohmann::json&, BatchExecutor&, BatchReply);
void DeregisterJobDefinition(const nlohmann::json&, BatchExecutor&, BatchReply);
void DescribeJobDefinitions(const nlohmann::json&, BatchExecutor&, BatchReply);
void SubmitJob(const nlohmann::json&, BatchExecutor&, BatchReply);
void DescribeJobs(const nlohmann::json&, BatchExecutor&, BatchReply);
void ListJobs(const nlohmann::json&, BatchExecutor&, BatchReply);
void CancelJob(const nlohmann::json&, BatchExecutor&, BatchReply);
void TerminateJob(const nlohmann::json&, BatchExecutor&, BatchReply);

}  // namespace gleaner
