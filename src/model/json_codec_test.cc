#include "model/json_codec.h"

#include <gtest/gtest.h>

// Compute environments, job queues, scheduling policies and the codec's error handling. Job
// definitions and jobs are tested in job_codec_test.cc.

namespace gleaner {
namespace {

using nlohmann::json;

ComputeEnvironment FullComputeEnvironment() {
  ComputeEnvironment environment;
  environment.name = "spot-ce";
  environment.arn = "arn:aws:batch:us-east-1:123456789012:compute-environment/spot-ce";
  environment.type = "MANAGED";
  environment.state = ResourceState::kEnabled;
  environment.status = ResourceStatus::kValid;
  environment.status_reason = "ComputeEnvironment Healthy";
  environment.unmanagedv_cpus = 16;
  ComputeResources resources;
  resources.type = "SPOT";
  resources.allocation_strategy = "SPOT_CAPACITY_OPTIMIZED";
  resources.minv_cpus = 0;
  resources.maxv_cpus = 256;
  resources.desiredv_cpus = 4;
  resources.instance_types = {"m5", "c5.xlarge"};
  resources.bid_percentage = 60;
  resources.passthrough = {{"subnets", {"subnet-1"}}, {"launchTemplate", {{"version", "$Latest"}}}};
  environment.compute_resources = resources;
  environment.service_role = "arn:aws:iam::123456789012:role/AWSBatchServiceRole";
  environment.ecs_cluster_arn = "arn:aws:ecs:us-east-1:123456789012:cluster/spot-ce_Batch_1";
  environment.uuid = "5f7d0a4e-0000-4000-8000-000000000001";
  environment.tags = {{"team", "data"}};
  environment.update_policy = {{"terminateJobsOnUpdate", false}};
  environment.created_at = 1'700'000'000'123;
  return environment;
}

JobQueue FullJobQueue() {
  JobQueue queue;
  queue.name = "high";
  queue.arn = "arn:aws:batch:us-east-1:123456789012:job-queue/high";
  queue.state = ResourceState::kEnabled;
  queue.status = ResourceStatus::kValid;
  queue.status_reason = "JobQueue Healthy";
  queue.priority = 10;
  queue.scheduling_policy_arn = "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair";
  queue.compute_environment_order = {{1, "arn:ce/a"}, {2, "arn:ce/b"}};
  queue.tags = {{"tier", "gold"}};
  queue.created_at = 1'700'000'000'456;
  return queue;
}

SchedulingPolicy FullSchedulingPolicy() {
  SchedulingPolicy policy;
  policy.name = "fair";
  policy.arn = "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair";
  policy.fairshare_policy = FairsharePolicy{3600, 25, {{"teamA", 0.125}, {"teamB*", std::nullopt}}};
  policy.tags = {{"owner", "ops"}};
  return policy;
}

TEST(ComputeEnvironmentJson, UsesAwsMemberNames) {
  json expected = json::parse(R"({
    "computeEnvironmentName": "spot-ce",
    "computeEnvironmentArn": "arn:aws:batch:us-east-1:123456789012:compute-environment/spot-ce",
    "type": "MANAGED", "state": "ENABLED", "status": "VALID",
    "statusReason": "ComputeEnvironment Healthy",
    "unmanagedvCpus": 16,
    "computeResources": {
      "type": "SPOT", "allocationStrategy": "SPOT_CAPACITY_OPTIMIZED",
      "minvCpus": 0, "maxvCpus": 256, "desiredvCpus": 4,
      "instanceTypes": ["m5", "c5.xlarge"], "bidPercentage": 60,
      "subnets": ["subnet-1"], "launchTemplate": {"version": "$Latest"}
    },
    "serviceRole": "arn:aws:iam::123456789012:role/AWSBatchServiceRole",
    "ecsClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/spot-ce_Batch_1",
    "uuid": "5f7d0a4e-0000-4000-8000-000000000001",
    "tags": {"team": "data"},
    "updatePolicy": {"terminateJobsOnUpdate": false},
    "containerOrchestrationType": "ECS"
  })");
  EXPECT_EQ(ToJson(FullComputeEnvironment()), expected);
}

TEST(ComputeEnvironmentJson, OmitsAbsentOptionals) {
  ComputeEnvironment environment;
  environment.name = "ce";
  environment.arn = "arn";
  // state and status always have a value (ENABLED and VALID unless set).
  EXPECT_EQ(ToJson(environment), json::parse(R"({"computeEnvironmentName": "ce",
      "computeEnvironmentArn": "arn", "containerOrchestrationType": "ECS",
      "state": "ENABLED", "status": "VALID"})"));
}

TEST(ComputeEnvironmentRecord, RoundTripsEveryField) {
  ComputeEnvironment original = FullComputeEnvironment();
  json record = ToRecord(original);
  EXPECT_EQ(record["gleaner"], json::parse(R"({"createdAt": 1700000000123})"));
  Result<ComputeEnvironment> parsed = ComputeEnvironmentFromRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
  EXPECT_EQ(parsed->created_at, original.created_at);
  EXPECT_EQ(parsed->unmanagedv_cpus, 16);
  ASSERT_TRUE(parsed->compute_resources.has_value());
  EXPECT_EQ(parsed->compute_resources->maxv_cpus, 256);
  EXPECT_EQ(parsed->compute_resources->passthrough, original.compute_resources->passthrough);
}

TEST(ComputeEnvironmentRecord, RoundTripsAMinimalUnmanagedEnvironment) {
  ComputeEnvironment original;
  original.name = "local";
  original.type = "UNMANAGED";
  Result<ComputeEnvironment> parsed = ComputeEnvironmentFromRecord(ToRecord(original));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->compute_resources.has_value());
  EXPECT_FALSE(parsed->unmanagedv_cpus.has_value());
  EXPECT_TRUE(parsed->update_policy.is_null());
  EXPECT_EQ(ToRecord(*parsed), ToRecord(original));
}

TEST(ComputeResourcesJson, KeepsUntypedMembersAsPassthrough) {
  Result<ComputeResources> parsed = ComputeResourcesFromJson(json::parse(R"({
      "type": "EC2", "maxvCpus": 8, "subnets": ["s-1"], "securityGroupIds": ["sg-1"],
      "ec2Configuration": [{"imageType": "ECS_AL2"}]})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->type, "EC2");
  EXPECT_EQ(parsed->maxv_cpus, 8);
  EXPECT_FALSE(parsed->minv_cpus.has_value());
  EXPECT_EQ(parsed->passthrough, json::parse(R"({"subnets": ["s-1"],
      "securityGroupIds": ["sg-1"], "ec2Configuration": [{"imageType": "ECS_AL2"}]})"));
}

TEST(ComputeResourcesJson, TypedMembersWinOverPassthrough) {
  ComputeResources resources;
  resources.type = "EC2";
  resources.maxv_cpus = 4;
  resources.passthrough = {{"maxvCpus", 999}, {"minvCpus", 1}, {"subnets", json::array()}};
  EXPECT_EQ(ToJson(resources), json::parse(R"({"type": "EC2", "maxvCpus": 4, "subnets": []})"));
}

TEST(ComputeResourcesJson, NullMembersAreAbsent) {
  Result<ComputeResources> parsed =
      ComputeResourcesFromJson(json::parse(R"({"maxvCpus": 2, "minvCpus": null})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->minv_cpus.has_value());
  EXPECT_EQ(parsed->passthrough, json::object());
}

TEST(ComputeResourcesJson, WrongTypesAreErrorsNamingTheMember) {
  struct Case {
    const char* document;
    const char* message;
  };
  for (const Case& bad : {
           Case{R"({"maxvCpus": "8"})", "computeResources.maxvCpus must be an integer"},
           Case{R"({"maxvCpus": 1.5})", "computeResources.maxvCpus must be an integer"},
           Case{R"({"maxvCpus": 4294967296})", "computeResources.maxvCpus must be an integer"},
           Case{R"({"type": 3})", "computeResources.type must be a string"},
           Case{R"({"instanceTypes": "m5"})", "computeResources.instanceTypes must be a list"},
           Case{R"({"instanceTypes": ["m5", 4]})", "computeResources.instanceTypes must be a list"},
           Case{R"([1, 2])", "computeResources must be an object"},
       }) {
    Result<ComputeResources> parsed = ComputeResourcesFromJson(json::parse(bad.document));
    ASSERT_FALSE(parsed.ok()) << bad.document;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message().rfind(bad.message, 0), 0u) << parsed.status().message();
  }
}

TEST(ComputeEnvironmentRecord, ErrorsNameNestedMembers) {
  json record = ToRecord(FullComputeEnvironment());
  record["computeResources"]["minvCpus"] = "zero";
  Result<ComputeEnvironment> parsed = ComputeEnvironmentFromRecord(record);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "computeResources.minvCpus must be an integer (32-bit)");

  record = ToRecord(FullComputeEnvironment());
  record["tags"]["team"] = 7;
  EXPECT_EQ(ComputeEnvironmentFromRecord(record).status().message(), "tags.team must be a string");

  record = ToRecord(FullComputeEnvironment());
  record["gleaner"]["createdAt"] = "yesterday";
  EXPECT_EQ(ComputeEnvironmentFromRecord(record).status().message(),
            "gleaner.createdAt must be an integer");
}

TEST(ComputeEnvironmentRecord, RequiresItsName) {
  json record = ToRecord(FullComputeEnvironment());
  record.erase("computeEnvironmentName");
  EXPECT_EQ(ComputeEnvironmentFromRecord(record).status().message(),
            "computeEnvironmentName is required");
  EXPECT_EQ(ComputeEnvironmentFromRecord(json("text")).status().message(),
            "the document must be an object");
}

TEST(JobQueueJson, UsesAwsMemberNames) {
  json expected = json::parse(R"({
    "jobQueueName": "high",
    "jobQueueArn": "arn:aws:batch:us-east-1:123456789012:job-queue/high",
    "state": "ENABLED", "status": "VALID", "statusReason": "JobQueue Healthy",
    "priority": 10,
    "schedulingPolicyArn": "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair",
    "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "arn:ce/a"},
                                {"order": 2, "computeEnvironment": "arn:ce/b"}],
    "tags": {"tier": "gold"}
  })");
  EXPECT_EQ(ToJson(FullJobQueue()), expected);
}

TEST(JobQueueJson, RequiredMembersAppearEvenWhenEmpty) {
  JobQueue queue;
  queue.name = "q";
  EXPECT_EQ(ToJson(queue), json::parse(R"({"jobQueueName": "q", "jobQueueArn": "",
      "state": "ENABLED", "status": "VALID", "priority": 0, "computeEnvironmentOrder": []})"));
}

TEST(JobQueueRecord, AStateOrStatusAwsDoesNotHaveIsAnErrorNamingIt) {
  json record = ToRecord(FullJobQueue());
  record["state"] = "PAUSED";
  Result<JobQueue> parsed = JobQueueFromRecord(record);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("state 'PAUSED' is not a state (ENABLED, DISABLED)"),
            std::string::npos)
      << parsed.status().message();
  record = ToRecord(FullJobQueue());
  record["status"] = "valid";
  EXPECT_FALSE(JobQueueFromRecord(record).ok()) << "AWS's values are upper case";
}

TEST(ResourceState, EveryValueRoundTripsThroughItsAwsName) {
  for (ResourceState state : {ResourceState::kEnabled, ResourceState::kDisabled}) {
    EXPECT_EQ(ParseResourceState(ToString(state)), state);
  }
  for (ResourceStatus status :
       {ResourceStatus::kCreating, ResourceStatus::kUpdating, ResourceStatus::kDeleting,
        ResourceStatus::kDeleted, ResourceStatus::kValid, ResourceStatus::kInvalid}) {
    EXPECT_EQ(ParseResourceStatus(ToString(status)), status);
  }
  EXPECT_EQ(ToString(ResourceStatus::kInvalid), "INVALID");
  // Put into any JSON document, they are AWS's names (the /gleaner/v1/queues route does so).
  EXPECT_EQ(
      nlohmann::json({{"state", ResourceState::kDisabled}, {"status", ResourceStatus::kValid}}),
      nlohmann::json::parse(R"({"state": "DISABLED", "status": "VALID"})"));
  EXPECT_EQ(ParseResourceState("enabled"), std::nullopt);
}

TEST(JobQueueRecord, RoundTripsEveryField) {
  JobQueue original = FullJobQueue();
  json record = ToRecord(original);
  EXPECT_EQ(record["gleaner"], json::parse(R"({"createdAt": 1700000000456})"));
  Result<JobQueue> parsed = JobQueueFromRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
  ASSERT_EQ(parsed->compute_environment_order.size(), 2u);
  EXPECT_EQ(parsed->compute_environment_order[1].order, 2);
  EXPECT_EQ(parsed->compute_environment_order[1].compute_environment, "arn:ce/b");
  EXPECT_EQ(parsed->created_at, original.created_at);
}

TEST(JobQueueRecord, ErrorsNameTheListItem) {
  json record = ToRecord(FullJobQueue());
  record["computeEnvironmentOrder"][1]["order"] = "2";
  EXPECT_EQ(JobQueueFromRecord(record).status().message(),
            "computeEnvironmentOrder[1].order must be an integer (32-bit)");
  record["computeEnvironmentOrder"] = json::object();
  EXPECT_EQ(JobQueueFromRecord(record).status().message(),
            "computeEnvironmentOrder must be a list");
}

TEST(SchedulingPolicyJson, UsesAwsMemberNames) {
  json expected = json::parse(R"({
    "name": "fair",
    "arn": "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair",
    "fairsharePolicy": {
      "shareDecaySeconds": 3600, "computeReservation": 25,
      "shareDistribution": [{"shareIdentifier": "teamA", "weightFactor": 0.125},
                            {"shareIdentifier": "teamB*"}]
    },
    "tags": {"owner": "ops"}
  })");
  EXPECT_EQ(ToJson(FullSchedulingPolicy()), expected);
}

TEST(SchedulingPolicyRecord, RoundTripsEveryField) {
  json record = ToRecord(FullSchedulingPolicy());
  Result<SchedulingPolicy> parsed = SchedulingPolicyFromRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
  ASSERT_TRUE(parsed->fairshare_policy.has_value());
  EXPECT_EQ(parsed->fairshare_policy->share_distribution[0].weight_factor, 0.125);
  EXPECT_FALSE(parsed->fairshare_policy->share_distribution[1].weight_factor.has_value());
}

TEST(SchedulingPolicyRecord, SurvivesTextSerialization) {
  json record = ToRecord(FullSchedulingPolicy());
  Result<SchedulingPolicy> parsed = SchedulingPolicyFromRecord(json::parse(record.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
}

TEST(FairsharePolicyJson, ParsesIntegerWeightsAsNumbers) {
  Result<FairsharePolicy> parsed = FairsharePolicyFromJson(
      json::parse(R"({"shareDistribution": [{"shareIdentifier": "a", "weightFactor": 2}]})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->share_distribution[0].weight_factor, 2.0);
  EXPECT_FALSE(parsed->share_decay_seconds.has_value());

  Result<FairsharePolicy> bad = FairsharePolicyFromJson(
      json::parse(R"({"shareDistribution": [{"shareIdentifier": "a", "weightFactor": "2"}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "fairsharePolicy.shareDistribution[0].weightFactor must be a number");
}

TEST(FairsharePolicyJson, EmptyPolicyIsAnEmptyObject) {
  EXPECT_EQ(ToJson(FairsharePolicy{}), json::object());
}

}  // namespace
}  // namespace gleaner
