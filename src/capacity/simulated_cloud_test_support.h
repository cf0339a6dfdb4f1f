#pragma once

// The world the simulated cloud's tests share: a FakeClock, a real BatchState, the built-in
// catalog, and builders for compute environments, a queue "q", a job definition "def" and jobs.
// Test-only; included by the simulated_cloud*_test.cc files.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "capacity/simulated_cloud.h"
#include "scheduler/batch_state.h"

namespace gleaner::testing {

inline const InstanceCatalog& BuiltInCatalog() {
  static const InstanceCatalog catalog = InstanceCatalog::BuiltIn().value();
  return catalog;
}

class SimulatedCloudFixture : public ::testing::Test {
 protected:
  SimulatedCloudFixture() : state_(clock_, BatchStateOptions{}) {}

  SimulatedCloud& Cloud(SimulatedCloudOptions options = {}) {
    options.background_interruptions = background_;
    cloud_.emplace(clock_, BuiltInCatalog(), options);
    return *cloud_;
  }

  // A MANAGED compute environment of `type` (EC2, SPOT, FARGATE) in three subnets.
  std::string AddEnvironment(const std::string& name, const std::string& type, int maxv_cpus,
                             std::vector<std::string> instance_types = {"optimal"},
                             std::string strategy = "BEST_FIT_PROGRESSIVE") {
    ComputeEnvironment environment;
    environment.name = name;
    environment.type = "MANAGED";
    ComputeResources resources;
    resources.type = type;
    resources.maxv_cpus = maxv_cpus;
    resources.minv_cpus = 0;
    resources.instance_types = std::move(instance_types);
    resources.allocation_strategy = std::move(strategy);
    resources.passthrough["subnets"] = {"subnet-a", "subnet-b", "subnet-c"};
    environment.compute_resources = resources;
    return state_.CreateComputeEnvironment(environment).value()->arn;
  }

  // Queue "q" over `environments` in order.
  void AddQueue(const std::vector<std::string>& environments) {
    JobQueue queue;
    queue.name = "q";
    queue.priority = 1;
    for (size_t i = 0; i < environments.size(); ++i) {
      queue.compute_environment_order.push_back({static_cast<int>(i) + 1, environments[i]});
    }
    ASSERT_TRUE(state_.CreateJobQueue(queue).ok());
  }

  // Job definition "def" running `true`; with `retry_on_host_loss`, the rule AWS users write for
  // reclaimed hosts (onStatusReason "Host EC2*" → RETRY, 3 attempts).
  void RegisterDefinition(const std::string& vcpus, const std::string& memory_mib,
                          bool retry_on_host_loss = false,
                          std::vector<std::string> platform_capabilities = {}) {
    JobDefinition definition;
    definition.name = "def";
    definition.type = "container";
    definition.platform_capabilities = std::move(platform_capabilities);
    definition.container_properties = ContainerProperties{};
    definition.container_properties->command = {"true"};
    definition.container_properties->resource_requirements = {{"VCPU", vcpus},
                                                              {"MEMORY", memory_mib}};
    if (retry_on_host_loss) {
      definition.retry_strategy = RetryStrategy{};
      definition.retry_strategy->attempts = 3;
      definition.retry_strategy->evaluate_on_exit = {
          EvaluateOnExit{"Host EC2*", std::nullopt, std::nullopt, "RETRY"},
          EvaluateOnExit{std::nullopt, std::nullopt, "*", "EXIT"}};
    }
    ASSERT_TRUE(state_.RegisterJobDefinition(definition).ok());
  }

  std::string Submit(const std::string& name) {
    SubmitJobRequest request;
    request.job_name = name;
    request.job_queue = "q";
    request.job_definition = "def";
    return state_.SubmitJob(request).value()->job_id;
  }

  // One engine iteration: the cloud catches up, the state schedules, the cloud provides what was
  // asked for and the state schedules again. Launches are reported as running processes.
  Decisions Step() {
    cloud_->Advance(state_);
    Decisions decisions = state_.Schedule();
    cloud_->Provide(state_, decisions.capacity_requests);
    Decisions more = state_.Schedule();
    for (auto& start : more.starts) decisions.starts.push_back(start);
    for (auto& signal : more.signals) decisions.signals.push_back(signal);
    for (const StartAttempt& start : decisions.starts) {
      ++next_pid_;
      state_.OnAttemptLaunched(start.job_id, next_pid_, next_pid_);
    }
    return decisions;
  }

  const Job& JobOf(const std::string& id) { return *state_.FindJob(id); }

  FakeClock clock_;
  BatchState state_;
  std::optional<SimulatedCloud> cloud_;
  bool background_ = false;
  int64_t next_pid_ = 100;
};

}  // namespace gleaner::testing
