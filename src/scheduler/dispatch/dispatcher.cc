// The dispatch pass over every queue, and what it would do with one job (Evaluate).
#include "scheduler/dispatch/dispatcher.h"

#include <algorithm>

#include "scheduler/dispatch/dispatch_pass.h"

namespace gleaner {
namespace {

constexpr int kMaxCountedAhead = 10'000;

// Jobs dispatched before `job`: RUNNABLE in queues of higher priority, or earlier in its own.
// Counting stops at kMaxCountedAhead so that describing a job stays cheap in a huge backlog.
int RunnableJobsAhead(const Job& job, const JobQueue& queue, const DispatchWorld& world) {
  int ahead = 0;
  for (const auto& [name, other] : world.job_queues()) {
    if (other.state != ResourceState::kEnabled) continue;
    bool own_queue = other.arn == queue.arn;
    if (!own_queue && other.priority <= queue.priority) continue;
    const JobSet* runnable = world.JobsIn(other.arn, JobStatus::kRunnable);
    if (runnable == nullptr) continue;
    for (const Job* other_job : *runnable) {
      if (own_queue && other_job->job_id >= job.job_id) break;
      if (++ahead >= kMaxCountedAhead) return ahead;
    }
  }
  return ahead;
}

DispatchResult Waiting(std::string reason) {
  return {DispatchVerdict::kWaiting, std::move(reason)};
}
DispatchResult Infeasible(std::string reason) {
  return {DispatchVerdict::kInfeasible, std::move(reason)};
}

}  // namespace

void Dispatcher::OnArrayNotReady(Job& parent) {
  auto arrays = ready_arrays_.find(parent.job_queue);
  if (arrays != ready_arrays_.end()) arrays->second.erase(&parent);
}

CapacityRequests Dispatcher::Run(DispatchWorld& world) {
  DispatchPass pass(hosts_, world, options_.max_jobs_examined_per_pass);
  std::vector<const JobQueue*> queues;
  for (const auto& [name, queue] : world.job_queues()) {
    if (queue.state == ResourceState::kEnabled && queue.status == ResourceStatus::kValid)
      queues.push_back(&queue);
  }
  // Highest priority first; equal priorities by name so the order is deterministic.
  std::stable_sort(queues.begin(), queues.end(),
                   [](const JobQueue* a, const JobQueue* b) { return a->priority > b->priority; });
  for (const JobQueue* queue : queues) {
    if (!pass.BudgetLeft() || !pass.CapacityLeft()) break;
    if (!pass.QueueMayPlace(*queue)) continue;
    JobSet& arrays = ready_arrays_[queue->arn];
    if (queue->scheduling_policy_arn.empty()) {
      DispatchFifo(*queue, runnable_.Of(queue->arn), arrays, pass);
    } else {
      DispatchFairShare(*queue, arrays, pass);
    }
  }
  return pass.TakeCapacityRequests();
}

DispatchResult Dispatcher::Evaluate(const Job& job, const DispatchWorld& world) const {
  const JobQueue* queue = world.FindJobQueue(job.job_queue);
  if (queue == nullptr) return Waiting("Job queue was deleted");
  if (queue->state != ResourceState::kEnabled) {
    return Waiting("Job queue " + queue->name + " is DISABLED: its jobs wait until it is ENABLED");
  }
  // The queue's usable compute environments, as a pass sees them (what each holds now).
  std::vector<const ComputeEnvironment*> usable;
  std::vector<Resources> used;
  bool any_big_enough = false;
  for (const ComputeEnvironmentOrder& entry : queue->compute_environment_order) {
    const ComputeEnvironment* environment = world.FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    usable.push_back(environment);
    used.push_back(hosts_.UsedBy(environment->arn));
    if (job.required.millivcpus <= MaxMilliVcpus(*environment)) any_big_enough = true;
  }
  if (usable.empty()) {
    return Waiting("No compute environment of job queue " + queue->name +
                   " is ENABLED and VALID: the job waits until one is");
  }
  if (!any_big_enough) {
    return Infeasible(
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job "
        "queue cannot meet the CPU requirement of the job (needs " +
        job.required.ToString() + ").");
  }
  if (const FairShareTracker* tracker = world.FindFairShare(queue->arn)) {
    if (HeldByReservation(*tracker, job.share_identifier, job.required,
                          FairShareRoomOf(*queue, world))) {
      return Waiting("CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
                     "; the scheduling policy's computeReservation holds the rest of job queue " +
                     queue->name + "'s vCPUs for share identifiers that run nothing yet.");
    }
  }
  std::vector<PlacementTarget> targets;
  for (size_t i = 0; i < usable.size(); ++i) {
    targets.push_back({usable[i], &used[i], MaxMilliVcpus(*usable[i]), nullptr});
  }
  // The pass's policy, with the hosts scanned rather than found through its per-pass cursors.
  auto scan = [this](const PlacementTarget& target, const Resources& required) -> const Host* {
    for (const auto& [id, host] : hosts_.hosts()) {
      if (host.Serves(target.environment->arn) && host.accepting && required.FitsIn(host.Free())) {
        return &host;
      }
    }
    return nullptr;
  };
  if (auto choice = FirstFit(targets, job.required, scan)) {
    return {DispatchVerdict::kPlaceable,
            "The job fits on instance " + choice->host->instance_id + " of compute environment " +
                choice->environment->name + " now: it starts at the next scheduling pass."};
  }

  // Why not: what serves the queue, hosts of its compute environments and sizes the providers can
  // launch. Any of them may do: the one with the most vCPUs may have too little memory or no GPU.
  auto serves_queue = [&usable](const Host& host) {
    return std::any_of(
        usable.begin(), usable.end(),
        [&host](const ComputeEnvironment* environment) { return host.Serves(environment->arn); });
  };
  Resources largest;
  Resources free;
  bool any_capacity = false;
  bool fits_somewhere = false;
  bool launching = false;
  for (const auto& [id, host] : hosts_.hosts()) {
    if (!serves_queue(host)) continue;
    any_capacity = true;
    if (host.total.millivcpus >= largest.millivcpus) largest = host.total;
    if (job.required.FitsIn(host.total)) fits_somewhere = true;
    if (host.accepting) free += host.Free();
    if (host.booting) launching = true;
  }
  std::string blocked;
  for (const ComputeEnvironment* environment : usable) {
    const ScalingCapacity* scaling = hosts_.ScalingOf(environment->arn);
    if (scaling == nullptr) continue;
    any_capacity = true;
    for (const Resources& size : scaling->instance_sizes) {
      if (size.millivcpus >= largest.millivcpus) largest = size;
    }
    if (scaling->AnySizeFits(job.required)) fits_somewhere = true;
    if (!scaling->blocked_reason.empty()) {
      blocked += " " + environment->name + ": " + scaling->blocked_reason;
    }
  }
  if (!any_capacity) {
    return Waiting(
        "CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
        "; no instance serves the compute environments of job queue " + queue->name +
        " yet (an UNMANAGED compute environment gets capacity when an instance joins its ECS "
        "cluster).");
  }
  if (!fits_somewhere) {
    return Infeasible(
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
        "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job "
        "queue (needs " +
        job.required.ToString() + "; the largest host has " + largest.ToString() + ").");
  }
  std::string reason = "CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
                       "; free now: " + free.ToString() + ".";
  for (const PlacementTarget& target : targets) {
    if (target.used->millivcpus + job.required.millivcpus > target.max_millivcpus) {
      reason += " Compute environment " + target.environment->name + " holds " +
                target.used->ToString() + " of its maxvCpus already.";
    }
  }
  if (launching) reason += " Instances are launching.";
  reason += blocked;
  int ahead = RunnableJobsAhead(job, *queue, world);
  if (ahead > 0) {
    reason +=
        " " +
        (ahead >= kMaxCountedAhead ? "At least " + std::to_string(ahead) : std::to_string(ahead)) +
        " RUNNABLE job(s) of this or higher-priority queues come first.";
  }
  return Waiting(std::move(reason));
}

}  // namespace gleaner
