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

TEST(ParseRegisterJobDefinitionTest, MapsAFullContainerDefinition) {
  Result<RegisterJobDefinitionRequest> parsed =
      ParseRegisterJobDefinition(samples::FullContainerJobDefinition());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->name, "render");
  EXPECT_EQ(parsed->type, "container");
  EXPECT_EQ(parsed->parameters, (std::map<std::string, std::string>{{"frame", "1"}}));
  EXPECT_EQ(parsed->scheduling_priority, 5);
  EXPECT_EQ(parsed->propagate_tags, true);
  EXPECT_EQ(parsed->platform_capabilities, std::vector<std::string>{"EC2"});
  EXPECT_EQ(parsed->tags, (TagMap{{"app", "render"}}));
  EXPECT_TRUE(parsed->node_properties.is_null());

  ASSERT_TRUE(parsed->container_properties);
  const ContainerProperties& container = *parsed->container_properties;
  EXPECT_EQ(container.image, "busybox");
  EXPECT_EQ(container.command, (std::vector<std::string>{"echo", "Ref::frame"}));
  EXPECT_EQ(container.environment, (std::vector<KeyValuePair>{{"MODE", "fast"}, {"EMPTY", ""}}));
  EXPECT_EQ(container.resource_requirements,
            (std::vector<ResourceRequirement>{{"VCPU", "2"}, {"MEMORY", "2048"}, {"GPU", "0"}}));
  EXPECT_EQ(container.passthrough["jobRoleArn"], "arn:aws:iam::123456789012:role/job");
  EXPECT_EQ(container.passthrough["volumes"][0]["host"]["sourcePath"], "/data");
  EXPECT_EQ(container.passthrough["logConfiguration"]["logDriver"], "awslogs");

  ASSERT_TRUE(parsed->retry_strategy);
  EXPECT_EQ(parsed->retry_strategy->attempts, 3);
  ASSERT_EQ(parsed->retry_strategy->evaluate_on_exit.size(), 3u);
  EXPECT_EQ(parsed->retry_strategy->evaluate_on_exit[0].on_status_reason, "Host EC2*");
  EXPECT_EQ(parsed->retry_strategy->evaluate_on_exit[1].on_exit_code, "1*");
  EXPECT_EQ(parsed->retry_strategy->evaluate_on_exit[1].action, "exit");  // as sent
  EXPECT_EQ(parsed->retry_strategy->evaluate_on_exit[2].on_reason, "CannotPullContainerError:*");
  ASSERT_TRUE(parsed->timeout);
  EXPECT_EQ(parsed->timeout->attempt_duration_seconds, 60);
}

TEST(ParseRegisterJobDefinitionTest, MinimalContainerDefinition) {
  Result<RegisterJobDefinitionRequest> parsed = ParseRegisterJobDefinition(
      json::parse(R"({"jobDefinitionName": "d", "type": "container", "containerProperties": {}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->container_properties);
  EXPECT_FALSE(parsed->retry_strategy);
  EXPECT_FALSE(parsed->timeout);
  EXPECT_FALSE(parsed->propagate_tags);
}

TEST(ParseRegisterJobDefinitionTest, AcceptsWhatAwsAccepts) {
  ExpectEachAccepted(
      ParseRegisterJobDefinition, samples::FullContainerJobDefinition(),
      {
          R"({"platformCapabilities": ["FARGATE"], "containerProperties": {
              "resourceRequirements": [{"type": "VCPU", "value": "0.25"},
                                       {"type": "MEMORY", "value": "512"}]}})",
          R"({"containerProperties": {"vcpus": 1, "memory": 4, "resourceRequirements": null}})",
          R"({"containerProperties": {"ephemeralStorage": {"sizeInGiB": 30}}})",  // newer member
          R"({"retryStrategy": {"attempts": 10, "evaluateOnExit": [
              {"onStatusReason": "*", "action": "Retry"},
              {"onReason": "Out of memory.\tkilled", "action": "eXiT"}]}})",
          R"({"retryStrategy": {"evaluateOnExit": []}})",
          // aws-batch-spot-cost-savings.md: a glob with '*' on both sides.
          R"({"retryStrategy": {"attempts": 5, "evaluateOnExit": [
              {"onReason": "*spot*", "action": "RETRY"},
              {"onExitCode": "1*3", "action": "EXIT"}]}})",
          R"({"schedulingPriority": 0})",
          R"({"schedulingPriority": 9999})",
          R"({"timeout": {}})",
      });
}

TEST(ParseRegisterJobDefinitionTest, RefusesBrokenTopLevelRules) {
  json six_rules = json::array();
  for (int i = 0; i < 6; ++i) six_rules.push_back({{"action", "RETRY"}});
  json definition = samples::FullContainerJobDefinition();
  ExpectRejected(
      ParseRegisterJobDefinition(
          Patched(definition,
                  ("{\"retryStrategy\": {\"evaluateOnExit\": " + six_rules.dump() + "}}").c_str())),
      "retryStrategy.evaluateOnExit must have at most 5 entries, got 6");
  ExpectEachRejected(
      ParseRegisterJobDefinition, definition,
      {
          {R"({"jobDefinitionName": null})", "jobDefinitionName is required"},
          {R"({"jobDefinitionName": "render:1"})", "jobDefinitionName \"render:1\" is invalid"},
          {R"({"type": null})", "type is required"},
          {R"({"type": "Container"})",
           "type \"Container\" is invalid: must be one of container, multinode"},
          {R"({"containerProperties": null})",
           "containerProperties is required: type \"container\" job definitions need it"},
          {R"({"containerProperties": 1})", "containerProperties must be an object, got number"},
          {R"({"nodeProperties": {"numNodes": 1, "mainNode": 0,
              "nodeRangeProperties": [{"targetNodes": "0"}]}})",
           "nodeProperties is not allowed: type \"container\" job definitions take none"},
          {R"({"schedulingPriority": 10000})",
           "schedulingPriority must be between 0 and 9999, got 10000"},
          {R"({"schedulingPriority": -1})", "schedulingPriority must be between 0 and 9999"},
          {R"({"parameters": {"a": 1}})", "parameters[\"a\"] must be a string, got number 1"},
          {R"({"parameters": "a=1"})", "parameters must be an object of string values"},
          {R"({"platformCapabilities": ["GPU"]})",
           "platformCapabilities[0] \"GPU\" is invalid: must be one of EC2, FARGATE"},
          {R"({"platformCapabilities": "EC2"})", "platformCapabilities must be a list of strings"},
          {R"({"propagateTags": "yes"})", "propagateTags must be a boolean"},
          {R"({"retryStrategy": "3"})", "retryStrategy must be an object"},
          {R"({"retryStrategy": {"attempts": 0}})",
           "retryStrategy.attempts must be between 1 and 10, got 0"},
          {R"({"retryStrategy": {"attempts": 11}})",
           "retryStrategy.attempts must be between 1 and 10, got 11"},
          {R"({"retryStrategy": {"evaluateOnExit": {}}})",
           "retryStrategy.evaluateOnExit must be a list"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"onExitCode": "1"}]}})",
           "retryStrategy.evaluateOnExit[0].action is required"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"action": "RESTART"}]}})",
           "retryStrategy.evaluateOnExit[0].action \"RESTART\" is invalid: must be RETRY or EXIT"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"onExitCode": "1a", "action": "EXIT"}]}})",
           "retryStrategy.evaluateOnExit[0].onExitCode \"1a\" is invalid: must contain only "
           "digits and '*'"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"onExitCode": "-1", "action": "EXIT"}]}})",
           "onExitCode \"-1\" is invalid"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"onExitCode": 1, "action": "EXIT"}]}})",
           "retryStrategy.evaluateOnExit[0].onExitCode must be a string, got number 1"},
          {R"j({"retryStrategy": {"evaluateOnExit": [
              {"onStatusReason": "Host (EC2)", "action": "EXIT"}]}})j",
           "onStatusReason \"Host (EC2)\" is invalid: must contain only letters, digits, '.', "
           "':', white space and '*'"},
          {R"({"retryStrategy": {"evaluateOnExit": [{"onReason": "a*b-", "action": "EXIT"}]}})",
           "onReason \"a*b-\" is invalid"},
          {R"({"timeout": []})", "timeout must be an object, got array"},
          {R"({"timeout": {"attemptDurationSeconds": 59}})",
           "timeout.attemptDurationSeconds must be between 60 and 2147483647, got 59"},
          {R"({"tags": {"aws:app": "x"}})", "tags key \"aws:app\" is invalid"},
      });
  json long_pattern = json::parse(R"({"retryStrategy": {"evaluateOnExit": [{"action": "EXIT"}]}})");
  long_pattern["retryStrategy"]["evaluateOnExit"][0]["onReason"] = std::string(513, 'a');
  ExpectRejected(
      ParseRegisterJobDefinition(Patched(definition, long_pattern.dump().c_str())),
      "retryStrategy.evaluateOnExit[0].onReason must be at most 512 characters, got 513");
}

TEST(ParseRegisterJobDefinitionTest, RefusesBrokenContainerProperties) {
  ExpectEachRejected(
      ParseRegisterJobDefinition, samples::FullContainerJobDefinition(),
      {
          {R"({"containerProperties": {"image": 5}})",
           "containerProperties.image must be a string"},
          {R"({"containerProperties": {"command": "echo hi"}})",
           "containerProperties.command must be a list of strings, got string"},
          {R"({"containerProperties": {"command": ["echo", 1]}})",
           "containerProperties.command[1] must be a string"},
          {R"({"containerProperties": {"command": ["a\u0000b"]}})",
           "containerProperties.command[0] \"a\\u0000b\" is invalid: must not contain NUL"},
          {R"({"containerProperties": {"environment": {}}})",
           "containerProperties.environment must be a list, got object"},
          {R"({"containerProperties": {"environment": ["A=1"]}})",
           "containerProperties.environment[0] must be an object, got string"},
          {R"({"containerProperties": {"environment": [{"value": "x"}]}})",
           "containerProperties.environment[0].name is required"},
          {R"({"containerProperties": {"environment": [{"name": "AWS_BATCH_JOB_ID"}]}})",
           "containerProperties.environment[0].name \"AWS_BATCH_JOB_ID\" is invalid: names "
           "starting with AWS_BATCH are reserved"},
          {R"({"containerProperties": {"environment": [{"name": "A=B"}]}})",
           "containerProperties.environment[0].name \"A=B\" is invalid"},
          {R"({"containerProperties": {"environment": [{"name": ""}]}})",
           "containerProperties.environment[0].name \"\" is invalid"},
          {R"({"containerProperties": {"environment": [{"name": "A", "value": 1}]}})",
           "containerProperties.environment[0].value must be a string"},
          {R"({"containerProperties": {"resourceRequirements": [{"type": "CPU", "value": "1"}]}})",
           "containerProperties.resourceRequirements[0].type \"CPU\" is invalid: must be one of "
           "VCPU, MEMORY, GPU"},
          {R"({"containerProperties": {"resourceRequirements": [{"type": "VCPU"}]}})",
           "containerProperties.resourceRequirements[0].value is required"},
          {R"({"containerProperties": {"resourceRequirements": [{"type": "VCPU", "value": 2}]}})",
           "containerProperties.resourceRequirements[0].value must be a string"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "VCPU", "value": "0.5"}]}})",
           "containerProperties.resourceRequirements[0].value \"0.5\" is invalid: VCPU must be a "
           "whole number of vCPUs for EC2"},
          {R"({"containerProperties": {"resourceRequirements": [{"type": "VCPU", "value": "0"}]}})",
           "VCPU must be a number of vCPUs above 0"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "VCPU", "value": "two"}]}})",
           "value \"two\" is invalid: VCPU must be"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "MEMORY", "value": "0"}]}})",
           "value \"0\" is invalid: MEMORY must be a whole number of MiB between 1 and "
           "2147483647"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "MEMORY", "value": "1.5"}]}})",
           "MEMORY must be a whole number of MiB"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "MEMORY", "value": "99999999999"}]}})",
           "MEMORY must be a whole number of MiB"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "GPU", "value": "-1"}]}})",
           "value \"-1\" is invalid: GPU must be a whole number"},
          {R"({"containerProperties": {"resourceRequirements": [
              {"type": "VCPU", "value": "1"}, {"type": "VCPU", "value": "2"}]}})",
           "containerProperties.resourceRequirements[1].type \"VCPU\" is invalid: each type may "
           "appear only once"},
          {R"({"containerProperties": {"vcpus": 0}})",
           "containerProperties.vcpus must be between 1 and 2147483647, got 0"},
          {R"({"containerProperties": {"memory": -5}})",
           "containerProperties.memory must be between 1 and 2147483647, got -5"},
          {R"({"containerProperties": {"volumes": {}}})",
           "containerProperties.volumes must be a list"},
          {R"({"containerProperties": {"volumes": [{"name": 1}]}})",
           "containerProperties.volumes[0].name must be a string"},
          {R"({"containerProperties": {"mountPoints": [{"readOnly": "no"}]}})",
           "containerProperties.mountPoints[0].readOnly must be a boolean"},
          {R"({"containerProperties": {"ulimits": [{"name": "nofile"}]}})",
           "containerProperties.ulimits[0].hardLimit is required"},
          {R"({"containerProperties": {"secrets": [{"name": "x"}]}})",
           "containerProperties.secrets[0].valueFrom is required"},
          {R"({"containerProperties": {"logConfiguration": {"logDriver": "stdout"}}})",
           "containerProperties.logConfiguration.logDriver \"stdout\" is invalid"},
          {R"({"containerProperties": {"logConfiguration": {"logDriver": null}}})",
           "containerProperties.logConfiguration.logDriver is required"},
          {R"({"containerProperties": {"linuxParameters": {"devices": [{}]}}})",
           "containerProperties.linuxParameters.devices[0].hostPath is required"},
          {R"({"containerProperties": {"linuxParameters": {"sharedMemorySize": "64"}}})",
           "containerProperties.linuxParameters.sharedMemorySize must be an integer"},
          {R"({"containerProperties": {"privileged": "true"}})",
           "containerProperties.privileged must be a boolean"},
          {R"({"containerProperties": {"instanceType": ["m5"]}})",
           "containerProperties.instanceType must be a string"},
          {R"({"containerProperties": {"volumes": [{"name": "efs",
              "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]}})",
           "containerProperties.volumes[0].efsVolumeConfiguration is not supported yet"},
          {R"({"containerProperties": {"secrets": [{"name": "x", "valueFrom": "arn:y"}]}})",
           "containerProperties.secrets is not supported yet: gleaner has no secret store"},
      });
}

TEST(ParseRegisterJobDefinitionTest, MultinodeKeepsNodeProperties) {
  Result<RegisterJobDefinitionRequest> parsed =
      ParseRegisterJobDefinition(samples::MultinodeJobDefinition());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->type, "multinode");
  EXPECT_FALSE(parsed->container_properties);
  EXPECT_EQ(parsed->node_properties, samples::MultinodeJobDefinition()["nodeProperties"]);
  ExpectEachAccepted(ParseRegisterJobDefinition, samples::MultinodeJobDefinition(),
                     {
                         R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "0"},
                             {"targetNodes": "1:"}]}})",
                         R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": ":3"}]}})",
                         R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "1:3"},
                             {"targetNodes": "0"}]}})",
                         R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": ":"}]}})",
                         R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "0:3"},
                             {"targetNodes": "1:2"}]}})",
                         R"({"nodeProperties": {"mainNode": 3}})",
                     });
}

TEST(ParseRegisterJobDefinitionTest, MultinodeRules) {
  ExpectEachRejected(
      ParseRegisterJobDefinition, samples::MultinodeJobDefinition(),
      {
          {R"({"nodeProperties": null})",
           "nodeProperties is required: type \"multinode\" job definitions need it"},
          {R"({"containerProperties": {"image": "x"}})", "containerProperties is not allowed"},
          {R"({"platformCapabilities": ["FARGATE"]})",
           "type \"multinode\" is invalid: multi-node parallel jobs do not run on FARGATE"},
          {R"({"nodeProperties": {"numNodes": null}})", "nodeProperties.numNodes is required"},
          {R"({"nodeProperties": {"numNodes": 0}})",
           "nodeProperties.numNodes must be between 1 and 2147483647, got 0"},
          {R"({"nodeProperties": {"mainNode": 4}})",
           "nodeProperties.mainNode must be between 0 and 3, got 4"},
          {R"({"nodeProperties": {"nodeRangeProperties": null}})",
           "nodeProperties.nodeRangeProperties is required"},
          {R"({"nodeProperties": {"nodeRangeProperties": []}})",
           "nodeProperties.nodeRangeProperties must have between 1 and 4 entries, got 0"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{}]}})",
           "nodeProperties.nodeRangeProperties[0].targetNodes is required"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "0:9"}]}})",
           "nodeProperties.nodeRangeProperties[0].targetNodes \"0:9\" is invalid"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "3:1"}]}})",
           "targetNodes \"3:1\" is invalid"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "0"}]}})",
           "nodeProperties.nodeRangeProperties is invalid: node 1 is in no range; the ranges must "
           "cover every node from 0 to 3"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "2:"},
              {"targetNodes": "0"}]}})",
           "node 1 is in no range"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "a"}]}})",
           "targetNodes \"a\" is invalid"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": ""}]}})",
           "targetNodes \"\" is invalid"},
          {R"({"nodeProperties": {"nodeRangeProperties": [{"targetNodes": "0",
              "container": {"environment": [{"name": "AWS_BATCH_X"}]}}]}})",
           "nodeProperties.nodeRangeProperties[0].container.environment[0].name \"AWS_BATCH_X\" "
           "is invalid: names starting with AWS_BATCH are reserved"},
      });
}

TEST(ParseRegisterJobDefinitionTest, EksIsUnsupported) {
  ExpectRejected(ParseRegisterJobDefinition(Patched(samples::FullContainerJobDefinition(),
                                                    R"({"eksProperties": {"podProperties": {}}})")),
                 "eksProperties is not supported", StatusCode::kUnsupported);
}

TEST(ParseDescribeJobDefinitionsTest, FiltersAndPages) {
  Result<DescribeJobDefinitionsRequest> parsed = ParseDescribeJobDefinitions(json::parse(
      R"({"jobDefinitions": ["a:1"], "jobDefinitionName": "a", "status": "ACTIVE",
          "maxResults": 10, "nextToken": "t"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->job_definitions, std::vector<std::string>{"a:1"});
  EXPECT_EQ(parsed->job_definition_name, "a");
  EXPECT_EQ(parsed->status, "ACTIVE");
  EXPECT_EQ(parsed->page.max_results, 10);
  EXPECT_EQ(parsed->page.next_token, "t");
  ExpectEachRejected(ParseDescribeJobDefinitions, json::object(),
                     {
                         {R"({"status": "active"})",
                          "status \"active\" is invalid: must be one of ACTIVE, INACTIVE"},
                         {R"({"jobDefinitionName": 1})", "jobDefinitionName must be a string"},
                         {R"({"jobDefinitions": "a"})", "jobDefinitions must be a list of strings"},
                         {R"({"maxResults": 0})", "maxResults must be between 1 and 1000, got 0"},
                     });
  ExpectRejected(
      ParseDescribeJobDefinitions({{"jobDefinitions", std::vector<std::string>(101, "a:1")}}),
      "jobDefinitions must have at most 100 entries, got 101");
}

TEST(ParseDeregisterJobDefinitionTest, NeedsADefinition) {
  Result<DeregisterJobDefinitionRequest> parsed =
      ParseDeregisterJobDefinition(json::parse(R"({"jobDefinition": "a:1"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->job_definition, "a:1");
  ExpectRejected(ParseDeregisterJobDefinition(json::object()), "jobDefinition is required");
}

TEST(ParseJobDefinitionRequestsTest, RefuseNonObjectBodies) {
  for (const json& body : NonObjectBodies()) {
    SCOPED_TRACE(body.dump());
    ExpectRejected(ParseRegisterJobDefinition(body), "the request body must be an object");
    ExpectRejected(ParseDescribeJobDefinitions(body), "the request body must be an object");
    ExpectRejected(ParseDeregisterJobDefinition(body), "the request body must be an object");
  }
}

}  // namespace
}  // namespace gleaner
