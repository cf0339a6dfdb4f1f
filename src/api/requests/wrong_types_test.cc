// Every member of every request, replaced by values of other JSON types: the parser must answer
// (never throw or crash) and, when it refuses, say which member is wrong.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "api/requests/batch_request_parser.h"
#include "api/requests/sample_requests.h"

namespace gleaner {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Operation {
  std::string name;
  std::function<Status(const json&)> parse;
  json valid;
};

template <typename T>
std::function<Status(const json&)> StatusOf(Result<T> (*parse)(const json&)) {
  return [parse](const json& body) {
    Result<T> result = parse(body);
    return result.ok() ? Status::Ok() : result.status();
  };
}

std::vector<Operation> Operations() {
  return {
      {"CreateComputeEnvironment", StatusOf(ParseCreateComputeEnvironment),
       samples::FullCreateComputeEnvironment()},
      {"UpdateComputeEnvironment", StatusOf(ParseUpdateComputeEnvironment),
       samples::FullUpdateComputeEnvironment()},
      {"DescribeComputeEnvironments", StatusOf(ParseDescribeComputeEnvironments),
       json::parse(R"({"computeEnvironments": ["a"], "maxResults": 5, "nextToken": "t"})")},
      {"DeleteComputeEnvironment", StatusOf(ParseDeleteComputeEnvironment),
       json::parse(R"({"computeEnvironment": "a"})")},
      {"CreateJobQueue", StatusOf(ParseCreateJobQueue), samples::FullCreateJobQueue()},
      {"UpdateJobQueue", StatusOf(ParseUpdateJobQueue), json::parse(R"({
         "jobQueue": "q", "state": "ENABLED", "priority": 1, "schedulingPolicyArn": "p",
         "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "c"}]})")},
      {"DescribeJobQueues", StatusOf(ParseDescribeJobQueues),
       json::parse(R"({"jobQueues": ["a"], "maxResults": 5, "nextToken": "t"})")},
      {"DeleteJobQueue", StatusOf(ParseDeleteJobQueue), json::parse(R"({"jobQueue": "a"})")},
      {"CreateSchedulingPolicy", StatusOf(ParseCreateSchedulingPolicy),
       samples::FullCreateSchedulingPolicy()},
      {"UpdateSchedulingPolicy", StatusOf(ParseUpdateSchedulingPolicy), json::parse(R"({
         "arn": "a", "fairsharePolicy": {"shareDecaySeconds": 1, "computeReservation": 1,
         "shareDistribution": [{"shareIdentifier": "a", "weightFactor": 1}]}})")},
      {"DescribeSchedulingPolicies", StatusOf(ParseDescribeSchedulingPolicies),
       json::parse(R"({"arns": ["a"]})")},
      {"ListSchedulingPolicies", StatusOf(ParseListSchedulingPolicies),
       json::parse(R"({"maxResults": 5, "nextToken": "t"})")},
      {"DeleteSchedulingPolicy", StatusOf(ParseDeleteSchedulingPolicy),
       json::parse(R"({"arn": "a"})")},
      {"RegisterJobDefinition(container)", StatusOf(ParseRegisterJobDefinition),
       samples::FullContainerJobDefinition()},
      {"RegisterJobDefinition(multinode)", StatusOf(ParseRegisterJobDefinition),
       samples::MultinodeJobDefinition()},
      {"DescribeJobDefinitions", StatusOf(ParseDescribeJobDefinitions), json::parse(R"({
         "jobDefinitions": ["a:1"], "jobDefinitionName": "a", "status": "ACTIVE",
         "maxResults": 5, "nextToken": "t"})")},
      {"DeregisterJobDefinition", StatusOf(ParseDeregisterJobDefinition),
       json::parse(R"({"jobDefinition": "a:1"})")},
      {"SubmitJob", StatusOf(ParseSubmitJob), samples::FullSubmitJob()},
      {"DescribeJobs", StatusOf(ParseDescribeJobs), json::parse(R"({"jobs": ["a"]})")},
      {"ListJobs", StatusOf(ParseListJobs), json::parse(R"({
         "jobQueue": "q", "jobStatus": "RUNNING", "maxResults": 5, "nextToken": "t",
         "filters": [{"name": "JOB_NAME", "values": ["a*"]}]})")},
      {"CancelJob", StatusOf(ParseCancelJob), json::parse(R"({"jobId": "j", "reason": "r"})")},
      {"TerminateJob", StatusOf(ParseTerminateJob),
       json::parse(R"({"jobId": "j", "reason": "r"})")},
      {"TagResource", StatusOf(ParseTags), json::parse(R"({"tags": {"k": "v"}})")},
  };
}

// Every value inside `value` (the root excluded), by JSON pointer.
void CollectPointers(const json& value, const json::json_pointer& at,
                     std::vector<json::json_pointer>* out) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      out->push_back(at / key);
      CollectPointers(member, at / key, out);
    }
  } else if (value.is_array()) {
    for (size_t index = 0; index < value.size(); ++index) {
      out->push_back(at / index);
      CollectPointers(value[index], at / index, out);
    }
  }
}

// The member a message must name for a change at `pointer`: the last key that is not an index.
std::string MemberName(json::json_pointer pointer) {
  while (!pointer.empty() && pointer.back().find_first_not_of("0123456789") == std::string::npos) {
    pointer.pop_back();
  }
  return pointer.empty() ? std::string() : pointer.back();
}

TEST(WrongTypesTest, EveryMemberOfAnotherTypeIsRefusedByName) {
  const std::vector<json> replacements = {42,
                                          -7,
                                          2.5,
                                          "text",
                                          true,
                                          json::array(),
                                          json::object(),
                                          json::array({"x"}),
                                          json({{"k", 1}})};
  int refused = 0;
  for (const Operation& operation : Operations()) {
    ASSERT_TRUE(operation.parse(operation.valid).ok()) << operation.name;
    std::vector<json::json_pointer> pointers;
    CollectPointers(operation.valid, json::json_pointer(), &pointers);
    for (const json::json_pointer& pointer : pointers) {
      for (const json& replacement : replacements) {
        json body = operation.valid;
        body[pointer] = replacement;
        SCOPED_TRACE(operation.name + " " + pointer.to_string() + " = " + replacement.dump());
        Status status = operation.parse(body);
        if (status.ok()) continue;
        ++refused;
        EXPECT_TRUE(status.code() == StatusCode::kInvalidArgument ||
                    status.code() == StatusCode::kUnsupported)
            << status.message();
        EXPECT_THAT(status.message(), HasSubstr(MemberName(pointer)));
      }
    }
  }
  EXPECT_GT(refused, 2000);  // the table really exercises the parsers
}

TEST(WrongTypesTest, DeeplyNestedAndHugeValuesAreAnswered) {
  json deep = "x";
  for (int i = 0; i < 500; ++i) deep = json::array({deep});
  for (const Operation& operation : Operations()) {
    json body = operation.valid;
    body["containerProperties"] = deep;
    body["computeResources"] = deep;
    body["someFutureMember"] = deep;
    Status nested = operation.parse(body);
    if (!nested.ok()) {
      EXPECT_FALSE(nested.message().empty()) << operation.name;
    }
    json long_name = operation.valid;
    long_name["jobName"] = std::string(100000, 'a');
    Status status = operation.parse(long_name);
    if (!status.ok()) {
      EXPECT_LT(status.message().size(), 400u) << operation.name;
    }
  }
}

}  // namespace
}  // namespace gleaner
