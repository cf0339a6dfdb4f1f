#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/arn.h"
#include "model/compute_environment.h"
#include "model/job.h"
#include "scheduler/host.h"

namespace gleaner {

// What a capacity provider (the simulated cloud, agents) sees of the scheduler: the compute
// environments it serves, and the hosts it adds, readies, drains, removes or loses. BatchState
// implements it; providers hold nothing else of the scheduler.
class HostEvents {
 public:
  virtual ~HostEvents() = default;

  virtual const ArnScope& scope() const = 0;
  virtual const std::map<std::string, ComputeEnvironment>& compute_environments() const = 0;
  virtual const ComputeEnvironment* FindComputeEnvironment(
      const std::string& name_or_arn) const = 0;
  // The compute environment whose ECS cluster (ecsClusterArn) `cluster` names, by name or ARN.
  virtual const ComputeEnvironment* FindComputeEnvironmentOfCluster(
      const std::string& cluster) const = 0;
  // The provider found the compute environment unusable as configured (INVALID with the reason).
  virtual void MarkComputeEnvironmentInvalid(const std::string& arn,
                                             const std::string& status_reason) = 0;
  // What the provider may still add to a compute environment it scales (nullopt: it does not).
  virtual void SetScalingCapacity(const std::string& compute_environment_arn,
                                  std::optional<ScalingCapacity> capacity) = 0;
  // The vCPUs the provider runs for a compute environment it scales: AWS Batch's desiredvCpus,
  // which it moves between minvCpus and maxvCpus with the demand.
  virtual void SetDesiredvCpus(const std::string& compute_environment_arn, int vcpus) = 0;

  virtual void AddHost(Host host) = 0;
  virtual void OnHostReady(const std::string& instance_id) = 0;
  virtual const Host* FindHost(const std::string& instance_id) const = 0;
  // The ids of the jobs with an attempt placed on the host.
  virtual std::vector<std::string> JobsOnHost(const std::string& instance_id) const = 0;
  // A job by id (to find the host it runs on).
  virtual const Job* FindJob(const std::string& job_id) const = 0;
  // The host goes away at `deadline`: see BatchState::OnInterruptionNotice.
  virtual std::vector<std::string> OnInterruptionNotice(const std::string& instance_id,
                                                        EpochMillis deadline,
                                                        bool signal_attempts) = 0;
  // The host is gone; its attempts are killed and end with the interruption reason.
  virtual void TerminateHost(const std::string& instance_id) = 0;
  // The host vanished with its processes (an agent lost): its attempts end now.
  virtual void LoseHost(const std::string& instance_id) = 0;
  // Agents' machines with attempts placed on them, not registered since a restart.
  virtual const std::set<std::string>& adrift_hosts() const = 0;
};

}  // namespace gleaner
