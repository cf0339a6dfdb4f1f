#pragma once

#include <string>
#include <vector>

#include "model/compute_environment.h"

namespace gleaner {

struct ComputeEnvironmentOrder {
  int order = 0;
  std::string compute_environment;  // ARN
};

// Cancels a job that has waited in `state` (RUNNABLE) for max_time_seconds with a status reason
// starting with `reason` (e.g. "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT").
struct JobStateTimeLimitAction {
  std::string reason;
  std::string state = "RUNNABLE";
  int max_time_seconds = 0;
  std::string action = "CANCEL";
};

struct JobQueue {
  std::string name;
  std::string arn;
  ResourceState state = ResourceState::kEnabled;
  ResourceStatus status = ResourceStatus::kValid;
  std::string status_reason;
  int priority = 0;                                                // higher is evaluated first
  std::string scheduling_policy_arn;                               // empty: FIFO
  std::vector<ComputeEnvironmentOrder> compute_environment_order;  // sorted by order
  std::vector<JobStateTimeLimitAction> job_state_time_limit_actions;
  TagMap tags;
  EpochMillis created_at = 0;
  // gleaner's bookkeeping: the fair-share usage per share identifier, as the scheduler saved it.
  std::string fair_share_usage;
};

}  // namespace gleaner
