#pragma once

// The small world the server's tests share: compute environment "ce" (MANAGED EC2, 16 vCPUs), FIFO
// queue "q" on it and definition "def" (`true`, 1 vCPU, 256 MiB). Test-only.

#include "scheduler/batch_state.h"

namespace gleaner::server_test {

inline Status CreateSmallWorld(BatchState& state) {
  ComputeEnvironment environment;
  environment.name = "ce";
  environment.type = "MANAGED";
  environment.compute_resources = ComputeResources{};
  environment.compute_resources->type = "EC2";
  environment.compute_resources->maxv_cpus = 16;
  GLEANER_RETURN_IF_ERROR(state.CreateComputeEnvironment(environment).status());
  JobQueue queue;
  queue.name = "q";
  queue.priority = 1;
  queue.compute_environment_order.push_back({1, "ce"});
  GLEANER_RETURN_IF_ERROR(state.CreateJobQueue(queue).status());
  JobDefinition definition;
  definition.name = "def";
  definition.type = "container";
  definition.container_properties = ContainerProperties{};
  definition.container_properties->command = {"true"};
  definition.container_properties->resource_requirements = {{"VCPU", "1"}, {"MEMORY", "256"}};
  return state.RegisterJobDefinition(definition).status();
}

// SubmitJob of "def" on "q".
inline SubmitJobRequest SmallJob(const std::string& name) {
  SubmitJobRequest request;
  request.job_name = name;
  request.job_queue = "q";
  request.job_definition = "def";
  return request;
}

}  // namespace gleaner::server_test
