// Compute environments, job queues, scheduling policies and job definitions over the wire.
#include "api/batch_operation_support.h"
#include "api/batch_operations.h"
#include "api/requests/batch_request_parser.h"
#include "model/json_codec.h"
#include "scheduler/batch_state.h"

namespace gleaner {
using nlohmann::json;

void CreateComputeEnvironment(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseCreateComputeEnvironment,
                  [](BatchState& state, CreateComputeEnvironmentRequest& req) -> Result<json> {
                    auto created = state.CreateComputeEnvironment(std::move(req));
                    if (!created.ok()) return created.status();
                    return json{{"computeEnvironmentName", (*created)->name},
                                {"computeEnvironmentArn", (*created)->arn}};
                  });
}

void UpdateComputeEnvironment(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseUpdateComputeEnvironment,
                  [](BatchState& state, UpdateComputeEnvironmentRequest& req) -> Result<json> {
                    auto updated = state.UpdateComputeEnvironment(req);
                    if (!updated.ok()) return updated.status();
                    return json{{"computeEnvironmentName", (*updated)->name},
                                {"computeEnvironmentArn", (*updated)->arn}};
                  });
}

void DeleteComputeEnvironment(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(
      body, executor, std::move(reply), ParseDeleteComputeEnvironment,
      [](BatchState& state, DeleteComputeEnvironmentRequest& req) -> Result<json> {
        GLEANER_RETURN_IF_ERROR(state.DeleteComputeEnvironment(req.compute_environment));
        return json::object();
      });
}

void DescribeComputeEnvironments(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDescribeComputeEnvironments,
                  [](BatchState& state, DescribeComputeEnvironmentsRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(DecodePage(req.page));
                    std::string next_token;
                    auto found = state.DescribeComputeEnvironments(req, &next_token);
                    if (!found.ok()) return found.status();
                    json response{{"computeEnvironments", json::array()}};
                    for (const auto* environment : *found) {
                      response["computeEnvironments"].push_back(ToJson(*environment));
                    }
                    AddNextToken(response, next_token);
                    return response;
                  });
}

void CreateJobQueue(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(
      body, executor, std::move(reply), ParseCreateJobQueue,
      [](BatchState& state, CreateJobQueueRequest& req) -> Result<json> {
        auto created = state.CreateJobQueue(std::move(req));
        if (!created.ok()) return created.status();
        return json{{"jobQueueName", (*created)->name}, {"jobQueueArn", (*created)->arn}};
      });
}

void UpdateJobQueue(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(
      body, executor, std::move(reply), ParseUpdateJobQueue,
      [](BatchState& state, UpdateJobQueueRequest& req) -> Result<json> {
        auto updated = state.UpdateJobQueue(req);
        if (!updated.ok()) return updated.status();
        return json{{"jobQueueName", (*updated)->name}, {"jobQueueArn", (*updated)->arn}};
      });
}

void DeleteJobQueue(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDeleteJobQueue,
                  [](BatchState& state, DeleteJobQueueRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.DeleteJobQueue(req.job_queue));
                    return json::object();
                  });
}

void DescribeJobQueues(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDescribeJobQueues,
                  [](BatchState& state, DescribeJobQueuesRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(DecodePage(req.page));
                    std::string next_token;
                    auto found = state.DescribeJobQueues(req, &next_token);
                    if (!found.ok()) return found.status();
                    json response{{"jobQueues", json::array()}};
                    for (const auto* queue : *found)
                      response["jobQueues"].push_back(ToJson(*queue));
                    AddNextToken(response, next_token);
                    return response;
                  });
}

void CreateSchedulingPolicy(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseCreateSchedulingPolicy,
                  [](BatchState& state, CreateSchedulingPolicyRequest& req) -> Result<json> {
                    auto created = state.CreateSchedulingPolicy(std::move(req));
                    if (!created.ok()) return created.status();
                    return json{{"name", (*created)->name}, {"arn", (*created)->arn}};
                  });
}

void UpdateSchedulingPolicy(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseUpdateSchedulingPolicy,
                  [](BatchState& state, UpdateSchedulingPolicyRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.UpdateSchedulingPolicy(req));
                    return json::object();
                  });
}

void DeleteSchedulingPolicy(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDeleteSchedulingPolicy,
                  [](BatchState& state, DeleteSchedulingPolicyRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.DeleteSchedulingPolicy(req.arn));
                    return json::object();
                  });
}

void DescribeSchedulingPolicies(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDescribeSchedulingPolicies,
                  [](BatchState& state, DescribeSchedulingPoliciesRequest& req) -> Result<json> {
                    json response{{"schedulingPolicies", json::array()}};
                    for (const std::string& arn : req.arns) {
                      if (const SchedulingPolicy* policy = state.FindSchedulingPolicy(arn)) {
                        response["schedulingPolicies"].push_back(ToJson(*policy));
                      }
                    }
                    return response;
                  });
}

void ListSchedulingPolicies(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseListSchedulingPolicies,
                  [](BatchState& state, ListSchedulingPoliciesRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(DecodePage(req.page));
                    std::string next_token;
                    auto found = state.ListSchedulingPolicies(req.page, &next_token);
                    if (!found.ok()) return found.status();
                    json response{{"schedulingPolicies", json::array()}};
                    for (const auto* policy : *found) {
                      response["schedulingPolicies"].push_back({{"arn", policy->arn}});
                    }
                    AddNextToken(response, next_token);
                    return response;
                  });
}

void RegisterJobDefinition(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseRegisterJobDefinition,
                  [](BatchState& state, RegisterJobDefinitionRequest& req) -> Result<json> {
                    auto registered = state.RegisterJobDefinition(std::move(req));
                    if (!registered.ok()) return registered.status();
                    return json{{"jobDefinitionName", (*registered)->name},
                                {"jobDefinitionArn", (*registered)->arn},
                                {"revision", (*registered)->revision}};
                  });
}

void DeregisterJobDefinition(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDeregisterJobDefinition,
                  [](BatchState& state, DeregisterJobDefinitionRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.DeregisterJobDefinition(req.job_definition));
                    return json::object();
                  });
}

void DescribeJobDefinitions(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDescribeJobDefinitions,
                  [](BatchState& state, DescribeJobDefinitionsRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(DecodePage(req.page));
                    std::string next_token;
                    auto found = state.DescribeJobDefinitions(req, &next_token);
                    if (!found.ok()) return found.status();
                    json response{{"jobDefinitions", json::array()}};
                    for (const auto* definition : *found) {
                      response["jobDefinitions"].push_back(ToJson(*definition));
                    }
                    AddNextToken(response, next_token);
                    return response;
                  });
}

}  // namespace gleaner
