#pragma once

// The world BatchState's tests share: a FakeClock, one BatchState, and builders for the requests
// the api module would hand it. Test-only; included by the batch_state_*_test.cc files.

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "scheduler/batch_state.h"

namespace gleaner {

// Readable gtest failure messages for the model's values.
inline void PrintTo(JobStatus status, std::ostream* out) { *out << ToString(status); }
inline void PrintTo(const Resources& resources, std::ostream* out) { *out << resources.ToString(); }

namespace scheduler_test {

// The value of a Result the test needs in order to go on; a failure ends the test with the
// Status message (gtest reports the exception as a failure of the test body).
template <typename T>
T Must(Result<T> result) {
  if (!result.ok()) {
    throw std::runtime_error("unexpected error: " + result.status().message());
  }
  return std::move(result).value();
}

inline void MustOk(const Status& status) {
  if (!status.ok()) throw std::runtime_error("unexpected error: " + status.message());
}

class BatchStateTest : public ::testing::Test {
 protected:
  // The host every test that needs capacity adds: 4 vCPU, 8 GiB.
  static constexpr int64_t kHostMillivcpus = 4000;
  static constexpr int64_t kHostMemoryMib = 8192;
  static constexpr char kHostId[] = "i-0000000000000001";

  BatchStateTest() : state_(clock_, BatchStateOptions{}) {}
  explicit BatchStateTest(BatchStateOptions options) : state_(clock_, std::move(options)) {}

  // ---- catalog builders ----

  static ComputeEnvironment Ec2Environment(const std::string& name, int maxv_cpus = 256) {
    ComputeEnvironment environment;
    environment.name = name;
    environment.type = "MANAGED";
    ComputeResources resources;
    resources.type = "EC2";
    resources.maxv_cpus = maxv_cpus;
    environment.compute_resources = resources;
    return environment;
  }

  static ComputeEnvironment FargateEnvironment(const std::string& name, int maxv_cpus = 16) {
    ComputeEnvironment environment = Ec2Environment(name, maxv_cpus);
    environment.compute_resources->type = "FARGATE";
    return environment;
  }

  const ComputeEnvironment& AddEnvironment(const std::string& name, int maxv_cpus = 256) {
    return *Must(state_.CreateComputeEnvironment(Ec2Environment(name, maxv_cpus)));
  }

  // Compute environments (names or ARNs) in the given order: 1, 2, 3, ...
  static JobQueue Queue(const std::string& name, int priority,
                        const std::vector<std::string>& environments) {
    JobQueue queue;
    queue.name = name;
    queue.priority = priority;
    for (size_t i = 0; i < environments.size(); ++i) {
      queue.compute_environment_order.push_back({static_cast<int>(i) + 1, environments[i]});
    }
    return queue;
  }

  const JobQueue& AddQueue(const std::string& name, int priority,
                           const std::vector<std::string>& environments) {
    return *Must(state_.CreateJobQueue(Queue(name, priority, environments)));
  }

  static ContainerProperties Container(const std::string& vcpus = "1",
                                       const std::string& memory_mib = "1024") {
    ContainerProperties container;
    container.image = "public.ecr.aws/docker/library/busybox:latest";
    container.command = {"true"};
    container.resource_requirements = {{"VCPU", vcpus}, {"MEMORY", memory_mib}};
    return container;
  }

  static JobDefinition Definition(const std::string& name,
                                  ContainerProperties container = Container()) {
    JobDefinition definition;
    definition.name = name;
    definition.type = "container";
    definition.container_properties = std::move(container);
    return definition;
  }

  const JobDefinition& Register(const std::string& name, const std::string& vcpus = "1",
                                const std::string& memory_mib = "1024") {
    return *Must(state_.RegisterJobDefinition(Definition(name, Container(vcpus, memory_mib))));
  }

  // The usual world: compute environment "ce", FIFO queue "q" on it, definition "def" (1 vCPU,
  // 1024 MiB). No host: tests that dispatch add one.
  void AddStandardWorld() {
    AddEnvironment("ce");
    AddQueue("q", 1, {"ce"});
    Register("def");
  }

  // ---- jobs ----

  static SubmitJobRequest Request(const std::string& job_name, const std::string& queue = "q",
                                  const std::string& definition = "def") {
    SubmitJobRequest request;
    request.job_name = job_name;
    request.job_queue = queue;
    request.job_definition = definition;
    return request;
  }

  std::string Submit(const SubmitJobRequest& request) {
    return Must(state_.SubmitJob(request))->job_id;
  }

  std::string Submit(const std::string& job_name, const std::string& queue = "q",
                     const std::string& definition = "def") {
    return Submit(Request(job_name, queue, definition));
  }

  std::string SubmitAfter(const std::string& job_name, const std::vector<std::string>& ids) {
    SubmitJobRequest request = Request(job_name);
    for (const std::string& id : ids) request.depends_on.push_back({id, ""});
    return Submit(request);
  }

  const Job& JobOf(const std::string& job_id) const {
    const Job* job = state_.FindJob(job_id);
    if (job == nullptr) throw std::runtime_error("no job " + job_id);
    return *job;
  }

  JobStatus StatusOf(const std::string& job_id) const { return JobOf(job_id).status; }

  // ---- capacity and execution ----

  void AddHost(const std::string& instance_id = kHostId, int64_t millivcpus = kHostMillivcpus,
               int64_t memory_mib = kHostMemoryMib) {
    Host host;
    host.instance_id = instance_id;
    host.container_instance_arn = state_.scope().EcsContainerInstance(instance_id);
    host.total = Resources{millivcpus, memory_mib, 0};
    state_.AddHost(std::move(host));
  }

  const Host& HostOf(const std::string& instance_id = kHostId) const {
    return state_.hosts().at(instance_id);
  }

  static std::vector<std::string> Started(const Decisions& decisions) {
    std::vector<std::string> ids;
    for (const StartAttempt& start : decisions.starts) ids.push_back(start.job_id);
    return ids;
  }

  static std::vector<std::pair<std::string, int>> Signals(const Decisions& decisions) {
    std::vector<std::pair<std::string, int>> signals;
    for (const SignalAttempt& signal : decisions.signals) {
      signals.emplace_back(signal.job_id, signal.signal);
    }
    return signals;
  }

  // Schedule() must start exactly `job_id`, which the engine then launches.
  void StartAndLaunch(const std::string& job_id, int64_t pid = 4242) {
    Decisions decisions = state_.Schedule();
    ASSERT_EQ(Started(decisions), std::vector<std::string>{job_id});
    state_.OnAttemptLaunched(job_id, pid, /*process_start_ticks=*/pid * 10);
    ASSERT_EQ(StatusOf(job_id), JobStatus::kRunning);
  }

  void RunToExit(const std::string& job_id, int exit_code) {
    StartAndLaunch(job_id);
    state_.OnAttemptExited(job_id, exit_code, /*term_signal=*/0);
  }

  FakeClock clock_;
  BatchState state_;
};

}  // namespace scheduler_test
}  // namespace gleaner
