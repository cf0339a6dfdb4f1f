// SimulatedCloud: interruptions on demand (`gleaner interrupt`), for tests and rehearsals.
#include <algorithm>
#include <cmath>

#include "capacity/simulated_cloud.h"
#include "scheduler/host_events.h"

namespace gleaner {

Result<std::vector<InterruptedInstance>> SimulatedCloud::Interrupt(
    HostEvents& state, const InterruptRequest& request) {
  int targets =
      !request.job_id.empty() + !request.instance_id.empty() + !request.compute_environment.empty();
  if (targets != 1) {
    return Status::InvalidArgument(
        "give exactly one of jobId, instanceId or computeEnvironment to interrupt");
  }
  if ((request.count || request.percent) && request.compute_environment.empty()) {
    return Status::InvalidArgument("count and percent apply to computeEnvironment only");
  }
  if (request.count && request.percent) {
    return Status::InvalidArgument("give count or percent, not both");
  }
  if (request.count && *request.count < 1) {
    return Status::InvalidArgument("count must be at least 1");
  }
  if (request.percent && (!(*request.percent > 0) || *request.percent > 100)) {
    return Status::InvalidArgument("percent must be more than 0 and at most 100");
  }
  if (request.notice_millis && *request.notice_millis < 0) {
    return Status::InvalidArgument("notice must not be negative");
  }
  if (request.rebalance_lead_millis && *request.rebalance_lead_millis < 0) {
    return Status::InvalidArgument("rebalanceLead must not be negative");
  }

  std::vector<std::string> chosen;
  auto live = [](const SimulatedInstance& instance) {
    return instance.state != InstanceState::kTerminated && !instance.notice_at;
  };
  // EC2 reclaims spot capacity only: an on-demand instance never gets an interruption notice.
  auto spot_only = [](const SimulatedInstance& instance) -> Status {
    if (instance.purchase == PurchaseOption::kSpot) return Status::Ok();
    return Status::InvalidArgument("instance " + instance.instance_id +
                                   " is an on-demand instance: EC2 interrupts spot instances only");
  };
  if (!request.job_id.empty()) {
    const Job* job = state.FindJob(request.job_id);
    if (job == nullptr) {
      return Status::InvalidArgument("jobId \"" + request.job_id + "\" does not exist");
    }
    if (!job->placement) {
      return Status::InvalidArgument("jobId \"" + request.job_id + "\" is " +
                                     std::string(ToString(job->status)) +
                                     ": only a job placed on an instance can be interrupted");
    }
    const SimulatedInstance* instance = FindInstance(job->placement->instance_id);
    if (instance == nullptr) {
      return Status::InvalidArgument("jobId \"" + request.job_id + "\" runs on " +
                                     job->placement->instance_id +
                                     ", which is not an instance of the simulated cloud");
    }
    if (!live(*instance)) {
      return Status::InvalidArgument("instance " + instance->instance_id +
                                     " already has an interruption notice");
    }
    GLEANER_RETURN_IF_ERROR(spot_only(*instance));
    chosen.push_back(instance->instance_id);
  } else if (!request.instance_id.empty()) {
    const SimulatedInstance* instance = FindInstance(request.instance_id);
    if (instance == nullptr || instance->state == InstanceState::kTerminated) {
      return Status::InvalidArgument("instanceId \"" + request.instance_id +
                                     "\" is not a running instance of the simulated cloud");
    }
    if (!live(*instance)) {
      return Status::InvalidArgument("instance " + request.instance_id +
                                     " already has an interruption notice");
    }
    GLEANER_RETURN_IF_ERROR(spot_only(*instance));
    chosen.push_back(request.instance_id);
  } else {
    const ComputeEnvironment* environment =
        state.FindComputeEnvironment(request.compute_environment);
    if (environment == nullptr) {
      return Status::InvalidArgument("computeEnvironment \"" + request.compute_environment +
                                     "\" does not exist");
    }
    std::vector<std::string> candidates;
    for (const auto& [id, instance] : instances_) {
      if (instance.compute_environment_arn == environment->arn && live(instance) &&
          instance.purchase == PurchaseOption::kSpot) {
        candidates.push_back(id);
      }
    }
    if (candidates.empty()) {
      return Status::InvalidArgument("compute environment " + environment->name +
                                     " has no running spot instance to interrupt");
    }
    size_t wanted = candidates.size();  // the whole compute environment by default
    if (request.count) wanted = std::min<size_t>(candidates.size(), *request.count);
    if (request.percent) {
      wanted = static_cast<size_t>(std::ceil(candidates.size() * *request.percent / 100.0));
    }
    // Instance ids are random draws of the seeded generator: their order is a deterministic
    // shuffle, so the first ones are a fair, repeatable choice.
    candidates.resize(wanted);
    chosen = std::move(candidates);
  }

  EpochMillis now = clock_.NowMillis();
  int64_t lead = request.rebalance_lead_millis.value_or(0);
  int64_t notice = request.notice_millis.value_or(options_.profile.notice_millis);
  std::vector<InterruptedInstance> interrupted;
  for (const std::string& id : chosen) {
    SimulatedInstance& instance = instances_.at(id);
    if (request.rebalance_lead_millis) instance.rebalance_at = now;
    instance.notice_at = now + lead;
    instance.deadline_at = now + lead + notice;
    instance.state_reason = "Spot interruption: interrupted on request";
    interrupted.push_back({id, *instance.notice_at, *instance.deadline_at});
  }
  Advance(state);  // a notice due now is delivered now
  return interrupted;
}

}  // namespace gleaner
