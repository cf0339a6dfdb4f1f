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

json MinimalSubmit() {
  return json::parse(R"({"jobName": "j", "jobQueue": "q", "jobDefinition": "d"})");
}

TEST(ParseSubmitJobTest, MapsAFullRequest) {
  Result<SubmitJobRequest> parsed = ParseSubmitJob(samples::FullSubmitJob());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->job_name, "render-1");
  EXPECT_EQ(parsed->job_queue, "high");
  EXPECT_EQ(parsed->job_definition, "render:3");
  EXPECT_EQ(parsed->share_identifier, "teamA");
  EXPECT_EQ(parsed->scheduling_priority_override, 9999);
  EXPECT_EQ(parsed->array_size, 10);
  ASSERT_EQ(parsed->depends_on.size(), 3u);
  EXPECT_EQ(parsed->depends_on[0].job_id, "a1b2");
  EXPECT_EQ(parsed->depends_on[0].type, "N_TO_N");
  EXPECT_EQ(parsed->depends_on[1].job_id, "");
  EXPECT_EQ(parsed->depends_on[1].type, "SEQUENTIAL");
  EXPECT_EQ(parsed->depends_on[2].job_id, "c3");
  EXPECT_EQ(parsed->depends_on[2].type, "");
  EXPECT_EQ(parsed->parameters, (std::map<std::string, std::string>{{"frame", "7"}}));
  ASSERT_TRUE(parsed->container_overrides);
  const ContainerOverrides& overrides = *parsed->container_overrides;
  EXPECT_EQ(overrides.command, (std::vector<std::string>{"render", "Ref::frame"}));
  EXPECT_EQ(overrides.environment, (std::vector<KeyValuePair>{{"MODE", "hq"}}));
  EXPECT_EQ(overrides.resource_requirements,
            (std::vector<ResourceRequirement>{{"VCPU", "0.5"}, {"MEMORY", "4096"}}));
  EXPECT_EQ(overrides.instance_type, "m5.large");
  EXPECT_EQ(overrides.vcpus, 2);
  EXPECT_EQ(overrides.memory, 4096);
  ASSERT_TRUE(parsed->retry_strategy);
  EXPECT_EQ(parsed->retry_strategy->attempts, 2);
  ASSERT_EQ(parsed->retry_strategy->evaluate_on_exit.size(), 1u);
  EXPECT_EQ(parsed->retry_strategy->evaluate_on_exit[0].on_exit_code, "137");
  ASSERT_TRUE(parsed->timeout);
  EXPECT_EQ(parsed->timeout->attempt_duration_seconds, 600);
  EXPECT_EQ(parsed->propagate_tags, true);
  EXPECT_EQ(parsed->tags, (TagMap{{"run", "7"}}));
  EXPECT_FALSE(parsed->node_overrides);
}

TEST(ParseSubmitJobTest, MapsAMinimalRequest) {
  Result<SubmitJobRequest> parsed = ParseSubmitJob(MinimalSubmit());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->job_name, "j");
  EXPECT_FALSE(parsed->container_overrides);
  EXPECT_FALSE(parsed->array_size);
  EXPECT_TRUE(parsed->depends_on.empty());
  EXPECT_FALSE(parsed->retry_strategy);
  EXPECT_FALSE(parsed->timeout);
  EXPECT_FALSE(parsed->share_identifier);
  EXPECT_FALSE(parsed->scheduling_priority_override);
  EXPECT_FALSE(parsed->propagate_tags);
  EXPECT_TRUE(parsed->tags.empty());
  EXPECT_TRUE(parsed->parameters.empty());

  Result<SubmitJobRequest> empty_overrides =
      ParseSubmitJob(Patched(MinimalSubmit(), R"({"containerOverrides": {}})"));
  ASSERT_TRUE(empty_overrides.ok());
  ASSERT_TRUE(empty_overrides->container_overrides);
  EXPECT_FALSE(empty_overrides->container_overrides->command);  // not given: keep the definition's
}

TEST(ParseSubmitJobTest, AcceptsWhatAwsAccepts) {
  ExpectEachAccepted(ParseSubmitJob, MinimalSubmit(),
                     {
                         R"({"jobName": "9lives"})",
                         R"({"jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q"})",
                         R"({"arrayProperties": {"size": 2}})",
                         R"({"arrayProperties": {"size": 10000}})",
                         R"({"arrayProperties": {"size": 1000000}})",  // gleaner's extension
                         R"({"arrayProperties": {}})",
                         R"({"schedulingPriorityOverride": 0})",
                         R"({"shareIdentifier": "team1*"})",
                         R"({"dependsOn": []})",
                         R"({"containerOverrides": {"command": []}})",
                         R"({"somethingNew": true, "containerOverrides": {"alsoNew": 1}})",
                         R"({"parameters": {}, "tags": {}})",
                     });
  json many = MinimalSubmit();
  for (int i = 0; i < 1000; ++i) many["dependsOn"].push_back({{"jobId", std::to_string(i)}});
  EXPECT_TRUE(ParseSubmitJob(many).ok());  // gleaner allows 1000 (AWS: 20)
}

TEST(ParseSubmitJobTest, RefusesBrokenRules) {
  ExpectEachRejected(
      ParseSubmitJob, samples::FullSubmitJob(),
      {
          {R"({"jobName": null})", "jobName is required"},
          {R"({"jobName": "9 bad"})",
           "jobName \"9 bad\" is invalid: must be 1-128 characters, start with a letter or "
           "digit, and contain only letters, digits, hyphens and underscores"},
          {R"({"jobName": "-dash"})", "jobName \"-dash\" is invalid"},
          {R"({"jobName": ""})", "jobName \"\" is invalid"},
          {R"({"jobQueue": null})", "jobQueue is required"},
          {R"({"jobQueue": ""})", "jobQueue \"\" is invalid: must not be empty"},
          {R"({"jobDefinition": null})", "jobDefinition is required"},
          {R"({"jobDefinition": ["d"]})", "jobDefinition must be a string, got array"},
          {R"({"shareIdentifier": "team-a"})", "shareIdentifier \"team-a\" is invalid"},
          {R"({"schedulingPriorityOverride": 10000})",
           "schedulingPriorityOverride must be between 0 and 9999, got 10000"},
          {R"({"schedulingPriorityOverride": -1})",
           "schedulingPriorityOverride must be between 0 and 9999, got -1"},
          {R"({"arrayProperties": 5})", "arrayProperties must be an object"},
          {R"({"arrayProperties": {"size": 1}})",
           "arrayProperties.size must be between 2 and 1000000, got 1"},
          {R"({"arrayProperties": {"size": 1000001}})",
           "arrayProperties.size must be between 2 and 1000000, got 1000001"},
          {R"({"dependsOn": "a1b2"})", "dependsOn must be a list, got string"},
          {R"({"dependsOn": ["a1b2"]})", "dependsOn[0] must be an object, got string"},
          {R"({"dependsOn": [{}]})",
           "dependsOn[0].jobId is required: only SEQUENTIAL dependencies go without one"},
          {R"({"dependsOn": [{"type": "N_TO_N"}]})", "dependsOn[0].jobId is required"},
          {R"({"dependsOn": [{"jobId": ""}]})", "dependsOn[0].jobId \"\" is invalid"},
          {R"({"dependsOn": [{"jobId": 5}]})", "dependsOn[0].jobId must be a string"},
          {R"({"dependsOn": [{"jobId": "x", "type": "ALL"}]})",
           "dependsOn[0].type \"ALL\" is invalid: must be one of N_TO_N, SEQUENTIAL"},
          // Not an array job: its N_TO_N dependency on a job is a plain one (as on AWS), but a
          // SEQUENTIAL one without a jobId has nothing to order.
          {R"({"arrayProperties": null})",
           "dependsOn[1].jobId is required: a SEQUENTIAL dependency without one orders the "
           "children of an array job"},
          {R"({"parameters": {"frame": 7}})", "parameters[\"frame\"] must be a string"},
          {R"({"containerOverrides": "x"})", "containerOverrides must be an object"},
          {R"({"containerOverrides": {"command": "render"}})",
           "containerOverrides.command must be a list of strings"},
          {R"({"containerOverrides": {"environment": [{"name": "AWS_BATCH_X", "value": "1"}]}})",
           "containerOverrides.environment[0].name \"AWS_BATCH_X\" is invalid: names starting "
           "with AWS_BATCH are reserved"},
          {R"({"containerOverrides": {"environment": [{"value": "1"}]}})",
           "containerOverrides.environment[0].name is required"},
          {R"({"containerOverrides": {"resourceRequirements": [
              {"type": "VCPU", "value": "-1"}]}})",
           "containerOverrides.resourceRequirements[0].value \"-1\" is invalid: VCPU must be"},
          {R"({"containerOverrides": {"resourceRequirements": [
              {"type": "VCPU", "value": "0.0001"}]}})",
           "value \"0.0001\" is invalid: VCPU must be a number of vCPUs above 0 with at most 3 "
           "decimals"},
          {R"({"containerOverrides": {"resourceRequirements": [
              {"type": "MEMORY", "value": "0"}]}})",
           "containerOverrides.resourceRequirements[0].value \"0\" is invalid: MEMORY must be"},
          {R"({"containerOverrides": {"resourceRequirements": [{"type": "DISK", "value": "1"}]}})",
           "containerOverrides.resourceRequirements[0].type \"DISK\" is invalid"},
          {R"({"containerOverrides": {"vcpus": 0}})",
           "containerOverrides.vcpus must be between 1 and 2147483647, got 0"},
          {R"({"containerOverrides": {"memory": "4096"}})",
           "containerOverrides.memory must be an integer"},
          {R"({"containerOverrides": {"instanceType": 5}})",
           "containerOverrides.instanceType must be a string"},
          {R"({"nodeOverrides": {"numNodes": 0}})",
           "nodeOverrides.numNodes must be between 1 and 2147483647, got 0"},
          {R"({"nodeOverrides": {"nodePropertyOverrides": [{}]}})",
           "nodeOverrides.nodePropertyOverrides[0].targetNodes is required"},
          {R"({"nodeOverrides": {"nodePropertyOverrides": [{"targetNodes": "0",
              "containerOverrides": {"environment": [{"name": "AWS_BATCH_Y"}]}}]}})",
           "nodeOverrides.nodePropertyOverrides[0].containerOverrides.environment[0].name "
           "\"AWS_BATCH_Y\" is invalid"},
          {R"({"retryStrategy": {"attempts": 11}})",
           "retryStrategy.attempts must be between 1 and 10, got 11"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"action": "retry", "onExitCode": "x"}]}})",
           "retryStrategy.evaluateOnExit[0].onExitCode \"x\" is invalid"},
          {R"({"timeout": {"attemptDurationSeconds": 30}})",
           "timeout.attemptDurationSeconds must be between 60 and 2147483647, got 30"},
          {R"({"propagateTags": 1})", "propagateTags must be a boolean, got number 1"},
          {R"({"tags": {"aws:batch": "x"}})", "tags key \"aws:batch\" is invalid"},
      });
}

TEST(ParseSubmitJobTest, LimitsListSizes) {
  json too_many_dependencies = MinimalSubmit();
  for (int i = 0; i < 1001; ++i) {
    too_many_dependencies["dependsOn"].push_back({{"jobId", std::to_string(i)}});
  }
  ExpectRejected(ParseSubmitJob(too_many_dependencies),
                 "dependsOn must have at most 1000 entries, got 1001");
  json too_many_tags = MinimalSubmit();
  for (int i = 0; i < 51; ++i) too_many_tags["tags"]["k" + std::to_string(i)] = "v";
  ExpectRejected(ParseSubmitJob(too_many_tags), "tags must have at most 50 entries, got 51");
  json null_tag = MinimalSubmit();
  null_tag["tags"]["k"] = nullptr;  // (a merge patch cannot say this: null removes)
  ExpectRejected(ParseSubmitJob(null_tag), "tags[\"k\"] must be a string, got null");
}

TEST(ParseSubmitJobTest, MapsNodeOverrides) {
  Result<SubmitJobRequest> parsed = ParseSubmitJob(
      Patched(MinimalSubmit(), R"({"nodeOverrides": {"numNodes": 2, "nodePropertyOverrides": [
          {"targetNodes": "0:1", "containerOverrides": {"command": ["x"],
            "environment": [{"name": "MODE", "value": "fast"}],
            "resourceRequirements": [{"type": "MEMORY", "value": "2048"}]}},
          {"targetNodes": "1:"}]}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_TRUE(parsed->node_overrides);
  const NodeOverrides& overrides = *parsed->node_overrides;
  EXPECT_EQ(overrides.num_nodes, 2);
  ASSERT_EQ(overrides.node_property_overrides.size(), 2u);
  const NodePropertyOverride& first = overrides.node_property_overrides[0];
  EXPECT_EQ(first.target_nodes, "0:1");
  ASSERT_TRUE(first.container_overrides);
  EXPECT_EQ(first.container_overrides->command, (std::vector<std::string>{"x"}));
  EXPECT_EQ(first.container_overrides->environment, (std::vector<KeyValuePair>{{"MODE", "fast"}}));
  EXPECT_EQ(first.container_overrides->resource_requirements,
            (std::vector<ResourceRequirement>{{"MEMORY", "2048"}}));
  EXPECT_EQ(overrides.node_property_overrides[1].target_nodes, "1:");
  EXPECT_FALSE(overrides.node_property_overrides[1].container_overrides);

  Result<SubmitJobRequest> empty =
      ParseSubmitJob(Patched(MinimalSubmit(), R"({"nodeOverrides": {}})"));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  ASSERT_TRUE(empty->node_overrides);
  EXPECT_FALSE(empty->node_overrides->num_nodes);
  EXPECT_TRUE(empty->node_overrides->node_property_overrides.empty());
}

TEST(ParseSubmitJobTest, EksOverridesAreUnsupported) {
  ExpectRejected(ParseSubmitJob(Patched(MinimalSubmit(), R"({"eksPropertiesOverride": {}})")),
                 "eksPropertiesOverride is not supported", StatusCode::kUnsupported);
}

TEST(ParseSubmitJobTest, RefusesNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseSubmitJob(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
