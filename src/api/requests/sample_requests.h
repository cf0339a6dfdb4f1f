#pragma once

// Complete, valid requests (every member gleaner reads), shared by the parser tests.

#include <nlohmann/json.hpp>

namespace gleaner::samples {

inline nlohmann::json FullCreateComputeEnvironment() {
  return nlohmann::json::parse(R"({
    "computeEnvironmentName": "ce-1", "type": "MANAGED", "state": "ENABLED",
    "computeResources": {
      "type": "EC2", "minvCpus": 0, "maxvCpus": 16, "desiredvCpus": 4,
      "instanceTypes": ["optimal"], "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"],
      "instanceRole": "ecsInstanceRole", "tags": {"Name": "batch"},
      "launchTemplate": {"launchTemplateName": "lt", "version": "$Latest"},
      "ec2Configuration": [{"imageType": "ECS_AL2"}]
    },
    "serviceRole": "arn:aws:iam::123456789012:role/batch", "tags": {"team": "a"}
  })");
}

inline nlohmann::json FullUpdateComputeEnvironment() {
  return nlohmann::json::parse(R"({
    "computeEnvironment": "ce-1", "state": "DISABLED", "unmanagedvCpus": 4, "serviceRole": "r",
    "computeResources": {
      "minvCpus": 1, "maxvCpus": 32, "desiredvCpus": 8, "instanceTypes": ["m5"],
      "allocationStrategy": "BEST_FIT_PROGRESSIVE", "bidPercentage": 50,
      "subnets": ["s"], "updateToLatestImageVersion": true
    },
    "updatePolicy": {"terminateJobsOnUpdate": false, "jobExecutionTimeoutMinutes": 30}
  })");
}

inline nlohmann::json FullCreateJobQueue() {
  return nlohmann::json::parse(R"({
    "jobQueueName": "high", "state": "ENABLED", "priority": 10,
    "schedulingPolicyArn": "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair",
    "computeEnvironmentOrder": [
      {"order": 2, "computeEnvironment": "spot"},
      {"order": 1, "computeEnvironment": "arn:aws:batch:us-east-1:123456789012:compute-environment/od"}
    ],
    "tags": {"team": "a"}
  })");
}

inline nlohmann::json FullCreateSchedulingPolicy() {
  return nlohmann::json::parse(R"({
    "name": "fair",
    "fairsharePolicy": {
      "shareDecaySeconds": 3600, "computeReservation": 25,
      "shareDistribution": [
        {"shareIdentifier": "teamA", "weightFactor": 0.5},
        {"shareIdentifier": "teamB*"}
      ]
    },
    "tags": {"owner": "ops"}
  })");
}

inline nlohmann::json FullContainerJobDefinition() {
  return nlohmann::json::parse(R"({
    "jobDefinitionName": "render", "type": "container",
    "parameters": {"frame": "1"}, "schedulingPriority": 5,
    "containerProperties": {
      "image": "busybox", "command": ["echo", "Ref::frame"],
      "environment": [{"name": "MODE", "value": "fast"}, {"name": "EMPTY"}],
      "resourceRequirements": [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "2048"},
                               {"type": "GPU", "value": "0"}],
      "jobRoleArn": "arn:aws:iam::123456789012:role/job",
      "volumes": [{"name": "data", "host": {"sourcePath": "/data"}}],
      "mountPoints": [{"containerPath": "/data", "sourceVolume": "data", "readOnly": true}],
      "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
      "linuxParameters": {"initProcessEnabled": true, "devices": [{"hostPath": "/dev/fuse"}]},
      "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
      "privileged": false, "readonlyRootFilesystem": false, "user": "nobody"
    },
    "retryStrategy": {"attempts": 3, "evaluateOnExit": [
      {"onStatusReason": "Host EC2*", "action": "RETRY"},
      {"onExitCode": "1*", "action": "exit"},
      {"onReason": "CannotPullContainerError:*", "action": "EXIT"}]},
    "timeout": {"attemptDurationSeconds": 60},
    "propagateTags": true, "platformCapabilities": ["EC2"], "tags": {"app": "render"}
  })");
}

inline nlohmann::json MultinodeJobDefinition() {
  return nlohmann::json::parse(R"({
    "jobDefinitionName": "mpi", "type": "multinode",
    "nodeProperties": {"numNodes": 4, "mainNode": 0, "nodeRangeProperties": [
      {"targetNodes": "0:", "container": {"image": "mpi",
        "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                 {"type": "MEMORY", "value": "1024"}]}}]}
  })");
}

inline nlohmann::json FullSubmitJob() {
  return nlohmann::json::parse(R"({
    "jobName": "render-1", "jobQueue": "high", "jobDefinition": "render:3",
    "shareIdentifier": "teamA", "schedulingPriorityOverride": 9999,
    "arrayProperties": {"size": 10},
    "dependsOn": [{"jobId": "a1b2", "type": "N_TO_N"}, {"type": "SEQUENTIAL"}, {"jobId": "c3"}],
    "parameters": {"frame": "7"},
    "containerOverrides": {
      "command": ["render", "Ref::frame"],
      "environment": [{"name": "MODE", "value": "hq"}],
      "resourceRequirements": [{"type": "VCPU", "value": "0.5"},
                               {"type": "MEMORY", "value": "4096"}],
      "instanceType": "m5.large", "vcpus": 2, "memory": 4096
    },
    "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"onExitCode": "137", "action": "RETRY"}]},
    "timeout": {"attemptDurationSeconds": 600},
    "propagateTags": true, "tags": {"run": "7"}
  })");
}

}  // namespace gleaner::samples
