#include <gtest/gtest.h>

#include "api/requests/batch_request_parser.h"
#include "api/requests/request_test_support.h"
#include "api/requests/sample_requests.h"

namespace gleaner {
namespace {

using nlohmann::json;
using testing::ExpectEachAccepted;
using testing::ExpectEachRejected;
using testing::ExpectRejected;
using testing::NonObjectBodies;
using testing::Patched;

json ManagedFargate() {
  return json::parse(R"({
    "computeEnvironmentName": "fargate", "type": "MANAGED",
    "computeResources": {"type": "FARGATE", "maxvCpus": 4, "subnets": ["s"]}
  })");
}

TEST(ParseCreateComputeEnvironmentTest, MapsAManagedEc2Environment) {
  Result<CreateComputeEnvironmentRequest> parsed =
      ParseCreateComputeEnvironment(samples::FullCreateComputeEnvironment());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "ce-1");
  EXPECT_EQ(parsed->type, "MANAGED");
  EXPECT_EQ(parsed->state, ResourceState::kEnabled);
  EXPECT_EQ(parsed->service_role, "arn:aws:iam::123456789012:role/batch");
  EXPECT_EQ(parsed->tags, (TagMap{{"team", "a"}}));
  ASSERT_TRUE(parsed->compute_resources);
  const ComputeResources& resources = *parsed->compute_resources;
  EXPECT_EQ(resources.type, "EC2");
  EXPECT_EQ(resources.allocation_strategy, "BEST_FIT");  // AWS's default
  EXPECT_EQ(resources.minv_cpus, 0);
  EXPECT_EQ(resources.maxv_cpus, 16);
  EXPECT_EQ(resources.desiredv_cpus, 4);
  EXPECT_EQ(resources.instance_types, std::vector<std::string>{"optimal"});
  EXPECT_EQ(resources.passthrough["subnets"], json({"subnet-1"}));
  EXPECT_EQ(resources.passthrough["launchTemplate"]["launchTemplateName"], "lt");
  EXPECT_FALSE(resources.passthrough.contains("maxvCpus"));
}

TEST(ParseCreateComputeEnvironmentTest, MinimalRequestsGetAwsDefaults) {
  Result<CreateComputeEnvironmentRequest> fargate = ParseCreateComputeEnvironment(
      Patched(ManagedFargate(), R"({"computeResources": {"subnets": null}})"));
  ASSERT_TRUE(fargate.ok()) << fargate.status().message();
  EXPECT_EQ(fargate->state, ResourceState::kEnabled);
  EXPECT_EQ(fargate->compute_resources->type, "FARGATE");
  EXPECT_EQ(fargate->compute_resources->allocation_strategy, "");  // Fargate has none
  EXPECT_EQ(fargate->compute_resources->maxv_cpus, 4);

  Result<CreateComputeEnvironmentRequest> unmanaged = ParseCreateComputeEnvironment(
      json::parse(R"({"computeEnvironmentName": "u", "type": "UNMANAGED"})"));
  ASSERT_TRUE(unmanaged.ok()) << unmanaged.status().message();
  EXPECT_FALSE(unmanaged->compute_resources);
}

TEST(ParseCreateComputeEnvironmentTest, AcceptsWhatAwsAccepts) {
  ExpectEachAccepted(ParseCreateComputeEnvironment, samples::FullCreateComputeEnvironment(),
                     {
                         R"({"computeResources": {"subnets": null}})",  // gleaner's choice
                         R"({"someFutureMember": {"x": 1}})",
                         R"({"state": "DISABLED", "serviceRole": null, "tags": null})",
                         R"({"computeResources": {"type": "SPOT", "bidPercentage": 100,
                             "allocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED"}})",
                         R"({"computeResources": {"allocationStrategy": "BEST_FIT_PROGRESSIVE"}})",
                         R"({"computeResources": {"minvCpus": 16, "desiredvCpus": 16}})",
                         R"({"computeResources": {"maxvCpus": 0, "minvCpus": 0,
                             "desiredvCpus": 0}})",
                     });
}

TEST(ParseCreateComputeEnvironmentTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseCreateComputeEnvironment, samples::FullCreateComputeEnvironment(),
      {
          {R"({"computeEnvironmentName": null})", "computeEnvironmentName is required"},
          {R"({"computeResources": {"instanceRole": null}})",
           "computeResources.instanceRole is required: Instance role is required."},
          {R"({"computeResources": {"type": "SPOT", "instanceRole": null}})",
           "computeResources.instanceRole is required: Instance role is required."},
          {R"({"computeEnvironmentName": 5})",
           "computeEnvironmentName must be a string, got number 5"},
          {R"({"computeEnvironmentName": "bad name"})",
           "computeEnvironmentName \"bad name\" is invalid: must be 1-128 characters"},
          {R"({"type": null})", "type is required"},
          {R"({"type": "managed"})",
           "type \"managed\" is invalid: must be one of MANAGED, UNMANAGED"},
          {R"({"state": "ON"})", "state \"ON\" is invalid: must be one of ENABLED, DISABLED"},
          {R"({"serviceRole": 1})", "serviceRole must be a string, got number 1"},
          {R"({"tags": {"aws:created": "x"}})", "tags key \"aws:created\" is invalid"},
          {R"({"tags": {"k": 5}})", "tags[\"k\"] must be a string, got number 5"},
          {R"({"tags": ["k"]})", "tags must be an object of string values, got array"},
          {R"({"unmanagedvCpus": 4})", "unmanagedvCpus is not allowed"},
          {R"({"computeResources": null})",
           "computeResources is required: MANAGED compute environments need computeResources"},
          {R"({"computeResources": "x"})", "computeResources must be an object, got string"},
          {R"({"computeResources": {"type": null}})", "computeResources.type is required"},
          {R"({"computeResources": {"type": "GPU"}})",
           "computeResources.type \"GPU\" is invalid: must be one of EC2, SPOT, FARGATE, "
           "FARGATE_SPOT"},
          {R"({"computeResources": {"maxvCpus": null}})", "computeResources.maxvCpus is required"},
          {R"({"computeResources": {"maxvCpus": "16"}})",
           "computeResources.maxvCpus must be an integer, got string \"16\""},
          {R"({"computeResources": {"maxvCpus": -1, "minvCpus": null, "desiredvCpus": null}})",
           "computeResources.maxvCpus must be between 0 and 2147483647, got -1"},
          {R"({"computeResources": {"minvCpus": -1}})",
           "computeResources.minvCpus must be between 0 and 2147483647, got -1"},
          {R"({"computeResources": {"minvCpus": 32, "desiredvCpus": null}})",
           "computeResources.minvCpus must be at most maxvCpus (16), got 32"},
          {R"({"computeResources": {"minvCpus": 8, "desiredvCpus": 4}})",
           "computeResources.desiredvCpus must be at least minvCpus (8), got 4"},
          {R"({"computeResources": {"desiredvCpus": 20}})",
           "computeResources.desiredvCpus must be at most maxvCpus (16), got 20"},
          {R"({"computeResources": {"allocationStrategy": "CHEAPEST"}})",
           "computeResources.allocationStrategy \"CHEAPEST\" is invalid: must be one of "
           "BEST_FIT, BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED, "
           "SPOT_PRICE_CAPACITY_OPTIMIZED"},
          {R"({"computeResources": {"allocationStrategy": "SPOT_CAPACITY_OPTIMIZED"}})",
           "SPOT_* strategies need computeResources.type SPOT, got EC2"},
          {R"({"computeResources": {"bidPercentage": 101}})",
           "computeResources.bidPercentage must be between 0 and 100, got 101"},
          {R"({"computeResources": {"bidPercentage": -1}})",
           "computeResources.bidPercentage must be between 0 and 100, got -1"},
          {R"({"computeResources": {"instanceTypes": "m5"}})",
           "computeResources.instanceTypes must be a list of strings, got string"},
          {R"({"computeResources": {"instanceTypes": [""]}})",
           "computeResources.instanceTypes[0] \"\" is invalid: must not be empty"},
          {R"({"computeResources": {"subnets": "subnet-1"}})",
           "computeResources.subnets must be a list of strings"},
          {R"({"computeResources": {"tags": {"Name": 1}}})",
           "computeResources.tags[\"Name\"] must be a string"},
          {R"({"computeResources": {"launchTemplate": "lt"}})",
           "computeResources.launchTemplate must be an object"},
          {R"({"computeResources": {"launchTemplate": {"version": 1}}})",
           "computeResources.launchTemplate.version must be a string"},
          {R"({"computeResources": {"ec2Configuration": [{}]}})",
           "computeResources.ec2Configuration[0].imageType is required"},
          {R"({"computeResources": {"ec2Configuration": ["ECS_AL2"]}})",
           "computeResources.ec2Configuration[0] must be an object"},
      });
}

TEST(ParseCreateComputeEnvironmentTest, FargateTakesNoInstanceSettings) {
  ExpectEachRejected(
      ParseCreateComputeEnvironment, ManagedFargate(),
      {
          {R"({"computeResources": {"minvCpus": 0}})",
           "computeResources.minvCpus is not allowed: FARGATE compute resources do not use it"},
          {R"({"computeResources": {"desiredvCpus": 1}})",
           "computeResources.desiredvCpus is not allowed"},
          {R"({"computeResources": {"instanceTypes": ["m5"]}})",
           "computeResources.instanceTypes is not allowed"},
          {R"({"computeResources": {"allocationStrategy": "BEST_FIT"}})",
           "computeResources.allocationStrategy is not allowed"},
          {R"({"computeResources": {"bidPercentage": 50}})",
           "computeResources.bidPercentage is not allowed"},
          {R"({"computeResources": {"imageId": "ami-1"}})",
           "computeResources.imageId is not allowed"},
          {R"({"computeResources": {"launchTemplate": {}}})",
           "computeResources.launchTemplate is not allowed"},
          {R"({"computeResources": {"tags": {}}})", "computeResources.tags is not allowed"},
          {R"({"computeResources": {"type": "FARGATE_SPOT", "instanceRole": "r"}})",
           "computeResources.instanceRole is not allowed: FARGATE_SPOT compute resources"},
      });
}

TEST(ParseCreateComputeEnvironmentTest, UnmanagedTakesNoComputeResources) {
  json unmanaged =
      json::parse(R"({"computeEnvironmentName": "u", "type": "UNMANAGED", "unmanagedvCpus": 8})");
  ExpectEachRejected(
      ParseCreateComputeEnvironment, unmanaged,
      {
          {R"({"computeResources": {"type": "EC2", "maxvCpus": 1}})",
           "computeResources is not allowed: UNMANAGED compute environments take "
           "no computeResources"},
          {R"({"unmanagedvCpus": -1})", "unmanagedvCpus must be between 0 and 2147483647, got -1"},
      });
  Result<CreateComputeEnvironmentRequest> parsed = ParseCreateComputeEnvironment(unmanaged);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->unmanagedv_cpus, 8);
}

TEST(ParseCreateComputeEnvironmentTest, EksIsUnsupported) {
  ExpectRejected(
      ParseCreateComputeEnvironment(Patched(samples::FullCreateComputeEnvironment(),
                                            R"({"eksConfiguration": {"eksClusterArn": "a",
                                        "kubernetesNamespace": "n"}})")),
      "eksConfiguration is not supported", StatusCode::kUnsupported);
}

TEST(ParseUpdateComputeEnvironmentTest, MapsTypedMembersAndPassthrough) {
  Result<UpdateComputeEnvironmentRequest> parsed =
      ParseUpdateComputeEnvironment(samples::FullUpdateComputeEnvironment());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->compute_environment, "ce-1");
  EXPECT_EQ(parsed->state, ResourceState::kDisabled);
  EXPECT_EQ(parsed->unmanagedv_cpus, 4);
  EXPECT_EQ(parsed->service_role, "r");
  EXPECT_EQ(parsed->minv_cpus, 1);
  EXPECT_EQ(parsed->maxv_cpus, 32);
  EXPECT_EQ(parsed->desiredv_cpus, 8);
  EXPECT_EQ(parsed->instance_types, std::vector<std::string>{"m5"});
  EXPECT_EQ(parsed->allocation_strategy, "BEST_FIT_PROGRESSIVE");
  EXPECT_EQ(parsed->bid_percentage, 50);
  EXPECT_EQ(parsed->compute_resources_passthrough,
            json::parse(R"({"subnets": ["s"], "updateToLatestImageVersion": true})"));

  json with_null = samples::FullUpdateComputeEnvironment();
  with_null["computeResources"]["securityGroupIds"] = nullptr;  // null means "not given"
  Result<UpdateComputeEnvironmentRequest> null_member = ParseUpdateComputeEnvironment(with_null);
  ASSERT_TRUE(null_member.ok()) << null_member.status().message();
  EXPECT_FALSE(null_member->compute_resources_passthrough.contains("securityGroupIds"));

  Result<UpdateComputeEnvironmentRequest> minimal =
      ParseUpdateComputeEnvironment(json::parse(R"({"computeEnvironment": "ce-1"})"));
  ASSERT_TRUE(minimal.ok()) << minimal.status().message();
  EXPECT_FALSE(minimal->state);
  EXPECT_FALSE(minimal->maxv_cpus);
  EXPECT_TRUE(minimal->compute_resources_passthrough.empty());
}

TEST(ParseUpdateComputeEnvironmentTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseUpdateComputeEnvironment, samples::FullUpdateComputeEnvironment(),
      {
          {R"({"computeEnvironment": null})", "computeEnvironment is required"},
          {R"({"computeEnvironment": ""})", "computeEnvironment \"\" is invalid"},
          {R"({"state": "PAUSED"})", "state \"PAUSED\" is invalid"},
          {R"({"unmanagedvCpus": -4})", "unmanagedvCpus must be between 0"},
          {R"({"computeResources": []})", "computeResources must be an object, got array"},
          {R"({"computeResources": {"allocationStrategy": "BEST_FIT"}})",
           "computeResources.allocationStrategy \"BEST_FIT\" is invalid: must be one of "
           "BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED, SPOT_PRICE_CAPACITY_OPTIMIZED"},
          {R"({"computeResources": {"minvCpus": 64}})",
           "computeResources.minvCpus must be at most maxvCpus (32), got 64"},
          {R"({"computeResources": {"bidPercentage": 200}})",
           "computeResources.bidPercentage must be between 0 and 100, got 200"},
          {R"({"computeResources": {"type": "TPU"}})", "computeResources.type \"TPU\" is invalid"},
          {R"({"computeResources": {"type": "FARGATE"}})",
           "computeResources.minvCpus is not allowed: FARGATE compute resources"},
          {R"({"computeResources": {"subnets": "s"}})",
           "computeResources.subnets must be a list of strings"},
          {R"({"computeResources": {"updateToLatestImageVersion": "yes"}})",
           "computeResources.updateToLatestImageVersion must be a boolean"},
          {R"({"updatePolicy": {"jobExecutionTimeoutMinutes": 0}})",
           "updatePolicy.jobExecutionTimeoutMinutes must be between 1 and 360, got 0"},
          {R"({"updatePolicy": {"terminateJobsOnUpdate": "yes"}})",
           "updatePolicy.terminateJobsOnUpdate must be a boolean"},
      });
}

TEST(ParseDescribeComputeEnvironmentsTest, ListsAndPages) {
  Result<DescribeComputeEnvironmentsRequest> parsed = ParseDescribeComputeEnvironments(
      json::parse(R"({"computeEnvironments": ["a", "arn:aws:batch:r:1:compute-environment/b"],
                      "maxResults": 10, "nextToken": "t"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->compute_environments.size(), 2u);
  EXPECT_EQ(parsed->page.max_results, 10);
  EXPECT_EQ(parsed->page.next_token, "t");
  EXPECT_TRUE(ParseDescribeComputeEnvironments(json::object()).ok());

  json too_many = {{"computeEnvironments", std::vector<std::string>(101, "a")}};
  ExpectEachRejected(
      ParseDescribeComputeEnvironments, json::object(),
      {
          {R"({"computeEnvironments": "a"})", "computeEnvironments must be a list of strings"},
          {R"({"maxResults": 0})", "maxResults must be between 1 and 1000, got 0"},
          {R"({"maxResults": 1001})", "maxResults must be between 1 and 1000, got 1001"},
          {R"({"nextToken": 3})", "nextToken must be a string"},
      });
  ExpectRejected(ParseDescribeComputeEnvironments(too_many),
                 "computeEnvironments must have at most 100 entries, got 101");
}

TEST(ParseDeleteComputeEnvironmentTest, NeedsAName) {
  Result<DeleteComputeEnvironmentRequest> parsed =
      ParseDeleteComputeEnvironment(json::parse(R"({"computeEnvironment": "ce-1"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->compute_environment, "ce-1");
  ExpectRejected(ParseDeleteComputeEnvironment(json::object()), "computeEnvironment is required");
  ExpectRejected(ParseDeleteComputeEnvironment(json::parse(R"({"computeEnvironment": ""})")),
                 "computeEnvironment \"\" is invalid: must not be empty");
}

TEST(ParseComputeEnvironmentRequestsTest, RefuseNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseCreateComputeEnvironment(body), "the request body must be an object");
    ExpectRejected(ParseUpdateComputeEnvironment(body), "the request body must be an object");
    ExpectRejected(ParseDescribeComputeEnvironments(body), "the request body must be an object");
    ExpectRejected(ParseDeleteComputeEnvironment(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
