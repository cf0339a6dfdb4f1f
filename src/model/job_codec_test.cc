#include <gtest/gtest.h>

#include "model/json_codec.h"

// Job definitions, jobs and their parts: wire shapes (JobDefinition, JobDetail, JobSummary) and
// store records.

namespace gleaner {
namespace {

using nlohmann::json;

ContainerProperties FullContainerProperties() {
  ContainerProperties container;
  container.image = "busybox:1.36";
  container.command = {"echo", "Ref::greeting"};
  container.environment = {{"MODE", "fast"}, {"EMPTY", ""}};
  container.resource_requirements = {{"VCPU", "0.25"}, {"MEMORY", "512"}};
  container.vcpus = 1;
  container.memory = 256;
  container.instance_type = "m5.large";
  container.passthrough = {{"privileged", false},
                           {"mountPoints", {{{"containerPath", "/data"}, {"sourceVolume", "d"}}}},
                           {"jobRoleArn", "arn:aws:iam::123456789012:role/job"}};
  return container;
}

RetryStrategy FullRetryStrategy() {
  return {3,
          {{"Host EC2*", std::nullopt, std::nullopt, "RETRY"},
           {std::nullopt, "OutOfMemory*", "137", "exit"}}};
}

JobDefinition FullJobDefinition() {
  JobDefinition definition;
  definition.name = "hello";
  definition.arn = "arn:aws:batch:us-east-1:123456789012:job-definition/hello:4";
  definition.revision = 4;
  definition.status = "ACTIVE";
  definition.type = "container";
  definition.parameters = {{"greeting", "hi"}};
  definition.scheduling_priority = 5;
  definition.retry_strategy = FullRetryStrategy();
  definition.container_properties = FullContainerProperties();
  definition.timeout = JobTimeout{120};
  definition.node_properties = {{"numNodes", 2}, {"mainNode", 0}};
  definition.tags = {{"app", "hello"}};
  definition.propagate_tags = true;
  definition.platform_capabilities = {"EC2"};
  definition.created_at = 1'700'000'000'001;
  return definition;
}

AttemptContainer FullAttemptContainer(int exit_code) {
  return {"arn:aws:ecs:us-east-1:123456789012:container-instance/ci-1",
          "arn:aws:ecs:us-east-1:123456789012:task/t-1", exit_code,
          "OutOfMemoryError: Container killed", "hello/default/t-1"};
}

Job FullJob() {
  Job job;
  job.job_id = "0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c";
  job.job_name = "hello-1";
  job.job_queue = "arn:aws:batch:us-east-1:123456789012:job-queue/high";
  job.job_definition = "arn:aws:batch:us-east-1:123456789012:job-definition/hello:4";
  job.status = JobStatus::kRunning;
  job.status_reason = "Retrying";
  job.created_at = 1'700'000'000'000;
  job.started_at = 1'700'000'010'000;
  job.stopped_at = 1'700'000'020'000;
  job.share_identifier = "teamA";
  job.scheduling_priority = 7;
  job.parameters = {{"greeting", "hello"}};
  job.container.properties = FullContainerProperties();
  job.container.properties.Mutable().command = {"echo", "hello"};
  job.container.current = FullAttemptContainer(0);
  job.container.current.Mutable().reason = "";
  job.retry_strategy = FullRetryStrategy();
  job.timeout = JobTimeout{600};
  job.depends_on = {{"0190b6c2-0000-7000-8000-000000000001", "N_TO_N"}, {"", "SEQUENTIAL"}};
  job.tags = {{"app", "hello"}};
  job.propagate_tags = false;
  job.platform_capabilities = {"EC2"};
  AttemptCost cost;
  cost.instance_id = "i-0fedcba9876543210";
  cost.instance_type = "m5.xlarge";
  cost.compute_environment_arn = "arn:aws:batch:us-east-1:123456789012:compute-environment/ce";
  cost.lifecycle = CapacityLifecycle::kSpot;
  cost.outcome = AttemptEnding::kInterrupted;
  cost.from = 1'700'000'000'500;
  cost.to = 1'700'000'002'000;
  cost.reserved = {250, 512, 1};
  cost.split_ratio = 0.125;
  cost.usd = 0.0375;
  cost.on_demand_usd = 0.125;
  job.attempts = {{FullAttemptContainer(137), 1'700'000'001'000, 1'700'000'002'000,
                   "Essential container in task exited", cost}};
  job.required = {250, 512, 1};
  job.placement = AttemptPlacement{"arn:aws:batch:us-east-1:123456789012:compute-environment/ce",
                                   "i-0123456789abcdef0",
                                   {250, 512, 1},
                                   4242,
                                   987654321,
                                   1'700'000'010'000,
                                   1'700'000'009'000,
                                   true,
                                   "Terminated by user",
                                   "Host EC2 (instance i-0123456789abcdef0) terminated.",
                                   {0, 2},
                                   true};
  return job;
}

TEST(ContainerPropertiesJson, UsesAwsMemberNamesAndMergesPassthrough) {
  json expected = json::parse(R"({
    "image": "busybox:1.36",
    "command": ["echo", "Ref::greeting"],
    "environment": [{"name": "MODE", "value": "fast"}, {"name": "EMPTY", "value": ""}],
    "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
    "vcpus": 1, "memory": 256, "instanceType": "m5.large",
    "privileged": false,
    "mountPoints": [{"containerPath": "/data", "sourceVolume": "d"}],
    "jobRoleArn": "arn:aws:iam::123456789012:role/job"
  })");
  EXPECT_EQ(ToJson(FullContainerProperties()), expected);
}

TEST(ContainerPropertiesJson, RoundTripsThroughTheRequestShape) {
  json wire = ToJson(FullContainerProperties());
  Result<ContainerProperties> parsed = ContainerPropertiesFromJson(wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->environment, FullContainerProperties().environment);
  EXPECT_EQ(parsed->resource_requirements, FullContainerProperties().resource_requirements);
  EXPECT_EQ(parsed->passthrough, FullContainerProperties().passthrough);
  EXPECT_EQ(ToJson(*parsed), wire);
}

TEST(ContainerPropertiesJson, EnvironmentAppearsEvenWhenEmpty) {
  EXPECT_EQ(ToJson(ContainerProperties{}), json::parse(R"({"environment": []})"));
}

TEST(ContainerPropertiesJson, ErrorsNameTheListItemMember) {
  Result<ContainerProperties> parsed = ContainerPropertiesFromJson(
      json::parse(R"({"environment": [{"name": "A", "value": "1"}, {"name": "B", "value": 2}]})"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "containerProperties.environment[1].value must be a string");
  EXPECT_FALSE(ContainerPropertiesFromJson(json::parse(R"({"command": "echo hi"})")).ok());
  EXPECT_FALSE(ContainerPropertiesFromJson(json::parse(R"({"environment": ["A=1"]})")).ok());
}

TEST(RetryStrategyJson, UsesAwsMemberNamesAndRoundTrips) {
  json expected = json::parse(R"({
    "attempts": 3,
    "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "RETRY"},
                       {"onReason": "OutOfMemory*", "onExitCode": "137", "action": "exit"}]
  })");
  EXPECT_EQ(ToJson(FullRetryStrategy()), expected);
  Result<RetryStrategy> parsed = RetryStrategyFromJson(expected);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->attempts, 3);
  ASSERT_EQ(parsed->evaluate_on_exit.size(), 2u);
  EXPECT_FALSE(parsed->evaluate_on_exit[0].on_exit_code.has_value());
  EXPECT_EQ(parsed->evaluate_on_exit[1].on_exit_code, "137");
  EXPECT_EQ(ToJson(*parsed), expected);
}

TEST(RetryStrategyJson, ExitCodePatternMustBeAString) {
  Result<RetryStrategy> parsed = RetryStrategyFromJson(
      json::parse(R"({"evaluateOnExit": [{"onExitCode": 137, "action": "EXIT"}]})"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "retryStrategy.evaluateOnExit[0].onExitCode must be a string");
}

TEST(JobTimeoutJson, RoundTrips) {
  EXPECT_EQ(ToJson(JobTimeout{90}), json::parse(R"({"attemptDurationSeconds": 90})"));
  EXPECT_EQ(ToJson(JobTimeout{}), json::object());
  Result<JobTimeout> parsed = JobTimeoutFromJson(json::parse(R"({"attemptDurationSeconds": 90})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->attempt_duration_seconds, 90);
  EXPECT_EQ(
      JobTimeoutFromJson(json::parse(R"({"attemptDurationSeconds": true})")).status().message(),
      "timeout.attemptDurationSeconds must be an integer (32-bit)");
}

TEST(JobDefinitionJson, UsesAwsMemberNames) {
  json wire = ToJson(FullJobDefinition());
  json expected = json::parse(R"({
    "jobDefinitionName": "hello",
    "jobDefinitionArn": "arn:aws:batch:us-east-1:123456789012:job-definition/hello:4",
    "revision": 4, "status": "ACTIVE", "type": "container",
    "parameters": {"greeting": "hi"},
    "schedulingPriority": 5,
    "timeout": {"attemptDurationSeconds": 120},
    "nodeProperties": {"numNodes": 2, "mainNode": 0},
    "tags": {"app": "hello"},
    "propagateTags": true,
    "platformCapabilities": ["EC2"],
    "containerOrchestrationType": "ECS"
  })");
  expected["retryStrategy"] = ToJson(FullRetryStrategy());
  expected["containerProperties"] = ToJson(FullContainerProperties());
  EXPECT_EQ(wire, expected);
}

TEST(JobDefinitionJson, OmitsAbsentOptionalsButShowsParameters) {
  JobDefinition definition;
  definition.name = "d";
  definition.arn = "arn";
  definition.revision = 1;
  definition.type = "container";
  EXPECT_EQ(ToJson(definition), json::parse(R"({"jobDefinitionName": "d",
      "jobDefinitionArn": "arn", "revision": 1, "type": "container", "parameters": {},
      "containerOrchestrationType": "ECS"})"));
}

TEST(JobDefinitionRecord, RoundTripsEveryField) {
  JobDefinition original = FullJobDefinition();
  json record = ToRecord(original);
  EXPECT_EQ(record["gleaner"], json::parse(R"({"createdAt": 1700000000001})"));
  Result<JobDefinition> parsed = JobDefinitionFromRecord(json::parse(record.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
  EXPECT_EQ(parsed->revision, 4);
  EXPECT_EQ(parsed->created_at, original.created_at);
  EXPECT_EQ(parsed->node_properties, original.node_properties);
  ASSERT_TRUE(parsed->container_properties.has_value());
  EXPECT_EQ(parsed->container_properties->passthrough, original.container_properties->passthrough);
}

TEST(JobDefinitionRecord, RequiresNameAndRevision) {
  json record = ToRecord(FullJobDefinition());
  record.erase("revision");
  EXPECT_EQ(JobDefinitionFromRecord(record).status().message(), "revision is required");
}

TEST(JobJson, IsAJobDetailWithAwsMemberNames) {
  json expected = json::parse(R"({
    "jobArn": "arn:aws:batch:us-east-1:123456789012:job/0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c",
    "jobName": "hello-1",
    "jobId": "0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c",
    "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/high",
    "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/hello:4",
    "status": "RUNNING",
    "statusReason": "Retrying",
    "createdAt": 1700000000000, "startedAt": 1700000010000, "stoppedAt": 1700000020000,
    "shareIdentifier": "teamA",
    "schedulingPriority": 7,
    "parameters": {"greeting": "hello"},
    "attempts": [{
      "container": {
        "containerInstanceArn": "arn:aws:ecs:us-east-1:123456789012:container-instance/ci-1",
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/t-1",
        "exitCode": 137,
        "reason": "OutOfMemoryError: Container killed",
        "logStreamName": "hello/default/t-1"
      },
      "startedAt": 1700000001000, "stoppedAt": 1700000002000,
      "statusReason": "Essential container in task exited"
    }],
    "dependsOn": [{"jobId": "0190b6c2-0000-7000-8000-000000000001", "type": "N_TO_N"},
                  {"type": "SEQUENTIAL"}],
    "timeout": {"attemptDurationSeconds": 600},
    "tags": {"app": "hello"},
    "propagateTags": false,
    "platformCapabilities": ["EC2"],
    "preemptionSummary": {
      "preemptedAttemptCount": 1,
      "recentPreemptedAttempts": [{
        "serviceResourceId": "i-0fedcba9876543210", "startedAt": 1700000001000,
        "stoppedAt": 1700000002000, "statusReason": "Essential container in task exited"
      }]
    }
  })");
  expected["retryStrategy"] = ToJson(FullRetryStrategy());
  json container = ToJson(FullContainerProperties());
  container["command"] = {"echo", "hello"};
  container["containerInstanceArn"] = "arn:aws:ecs:us-east-1:123456789012:container-instance/ci-1";
  container["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/t-1";
  container["exitCode"] = 0;
  container["logStreamName"] = "hello/default/t-1";
  expected["container"] = container;
  EXPECT_EQ(ToJson(FullJob()), expected);
}

TEST(JobJson, ANewJobShowsOnlyWhatItHas) {
  Job job;
  job.job_id = "id";
  job.job_name = "n";
  job.job_queue = "arn:aws:batch:us-east-1:123456789012:job-queue/q";
  job.job_definition = "arn:d:1";
  job.created_at = 5;
  EXPECT_EQ(ToJson(job), json::parse(R"({"jobArn": "arn:aws:batch:us-east-1:123456789012:job/id",
      "jobName": "n", "jobId": "id",
      "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/q", "jobDefinition": "arn:d:1", "status": "SUBMITTED", "createdAt": 5,
      "parameters": {}, "container": {"environment": []}, "attempts": [], "dependsOn": []})"));
}

TEST(JobSummaryJson, CarriesTheListJobsMembers) {
  EXPECT_EQ(ToJobSummary(FullJob()), json::parse(R"({
    "jobArn": "arn:aws:batch:us-east-1:123456789012:job/0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c",
    "jobId": "0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c",
    "jobName": "hello-1",
    "createdAt": 1700000000000, "startedAt": 1700000010000, "stoppedAt": 1700000020000,
    "status": "RUNNING", "statusReason": "Retrying",
    "container": {"exitCode": 0},
    "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/hello:4"
  })"));
}

TEST(JobSummaryJson, OmitsTheContainerUntilItHasExited) {
  Job job = FullJob();
  job.container.current = AttemptContainer{};
  job.started_at.reset();
  job.stopped_at.reset();
  job.status_reason.clear();
  json summary = ToJobSummary(job);
  EXPECT_FALSE(summary.contains("container"));
  EXPECT_FALSE(summary.contains("startedAt"));
  EXPECT_FALSE(summary.contains("stoppedAt"));
  EXPECT_FALSE(summary.contains("statusReason"));
}

TEST(JobRecord, CarriesRequiredResourcesAndPlacement) {
  json record = ToRecord(FullJob());
  EXPECT_EQ(record["gleaner"], json::parse(R"({
    "required": {"millivcpus": 250, "memoryMib": 512, "gpus": 1},
    "placement": {
      "computeEnvironmentArn": "arn:aws:batch:us-east-1:123456789012:compute-environment/ce",
      "instanceId": "i-0123456789abcdef0",
      "reserved": {"millivcpus": 250, "memoryMib": 512, "gpus": 1},
      "pid": 4242, "processStartTicks": 987654321, "startedAt": 1700000010000,
      "placedAt": 1700000009000, "terminationRequested": true, "terminationReason": "Terminated by user",
      "interruptionReason": "Host EC2 (instance i-0123456789abcdef0) terminated.",
      "gpuIds": [0, 2], "remote": true
    },
    "attemptCosts": [{
      "instanceId": "i-0fedcba9876543210", "instanceType": "m5.xlarge",
      "computeEnvironmentArn": "arn:aws:batch:us-east-1:123456789012:compute-environment/ce",
      "lifecycle": "spot", "outcome": "interrupted", "from": 1700000000500, "to": 1700000002000,
      "reserved": {"millivcpus": 250, "memoryMib": 512, "gpus": 1},
      "splitRatio": 0.125, "usd": 0.0375, "onDemandUsd": 0.125
    }]
  })"));
}

TEST(JobRecord, RoundTripsEveryField) {
  Job original = FullJob();
  json record = ToRecord(original);
  Result<Job> parsed = JobFromRecord(json::parse(record.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(ToRecord(*parsed), record);
  EXPECT_EQ(parsed->status, JobStatus::kRunning);
  EXPECT_EQ(parsed->required, original.required);
  ASSERT_TRUE(parsed->placement.has_value());
  EXPECT_EQ(parsed->placement->pid, 4242);
  EXPECT_EQ(parsed->placement->reserved, original.placement->reserved);
  EXPECT_TRUE(parsed->placement->termination_requested);
  EXPECT_EQ(parsed->container.current->exit_code, 0);
  EXPECT_EQ(parsed->container.properties->passthrough, original.container.properties->passthrough);
  ASSERT_EQ(parsed->attempts.size(), 1u);
  EXPECT_EQ(parsed->attempts[0].container.exit_code, 137);
  EXPECT_EQ(parsed->attempts[0].stopped_at, 1'700'000'002'000);
  EXPECT_EQ(parsed->attempts[0].cost, original.attempts[0].cost);
  EXPECT_EQ(parsed->placement->placed_at, 1'700'000'009'000);
  ASSERT_EQ(parsed->depends_on.size(), 2u);
  EXPECT_EQ(parsed->depends_on[1].job_id, "");
  EXPECT_EQ(parsed->depends_on[1].type, "SEQUENTIAL");
}

TEST(JobRecord, RoundTripsAJobWithoutPlacement) {
  Job original = FullJob();
  original.placement.reset();
  original.started_at.reset();
  original.container.current = AttemptContainer{};
  original.attempts.clear();
  json record = ToRecord(original);
  EXPECT_FALSE(record["gleaner"].contains("placement"));
  Result<Job> parsed = JobFromRecord(record);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->placement.has_value());
  EXPECT_FALSE(parsed->started_at.has_value());
  EXPECT_FALSE(parsed->container.current->exit_code.has_value());
  EXPECT_EQ(ToRecord(*parsed), record);
}

TEST(JobRecord, TypedContainerMembersWinOverPassthrough) {
  Job job = FullJob();
  job.container.current.Mutable().exit_code.reset();
  job.container.properties.Mutable().passthrough["exitCode"] = 99;
  job.container.properties.Mutable().passthrough["image"] = "stale";
  json container = ToJson(job)["container"];
  EXPECT_FALSE(container.contains("exitCode"));
  EXPECT_EQ(container["image"], "busybox:1.36");
}

TEST(JobRecord, RefusesAnUnknownStatus) {
  json record = ToRecord(FullJob());
  record["status"] = "running";
  Result<Job> parsed = JobFromRecord(record);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "status 'running' is not a job status");
}

TEST(JobRecord, WrongTypesAreErrorsNotExceptions) {
  struct Case {
    const char* pointer;
    json value;
    const char* message;
  };
  for (const Case& bad : {
           Case{"/attempts/0/stoppedAt", "later", "attempts[0].stoppedAt must be an integer"},
           Case{"/container/exitCode", "0", "container.exitCode must be an integer (32-bit)"},
           Case{"/gleaner/placement/pid", -1.5, "gleaner.placement.pid must be an integer"},
           Case{"/gleaner/required", json::array(), "gleaner.required must be an object"},
           Case{"/propagateTags", "yes", "propagateTags must be true or false"},
           Case{"/startedAt", 18446744073709551615u, "startedAt must be an integer"},
           Case{"/jobId", nullptr, "jobId is required"},
       }) {
    json record = ToRecord(FullJob());
    record[json::json_pointer(bad.pointer)] = bad.value;
    Result<Job> parsed = JobFromRecord(record);
    ASSERT_FALSE(parsed.ok()) << bad.pointer;
    EXPECT_EQ(parsed.status().message(), bad.message);
  }
}

}  // namespace
}  // namespace gleaner
