// BatchState: dispatch in fair-share job queues (a scheduling policy attached): the next job comes
// from the share identifier with the lowest weighted usage; within a share, higher
// schedulingPriority first, then submission order; computeReservation holds capacity back for
// shares that run nothing yet.
#include <algorithm>
#include <climits>

#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

// a + b, capped at INT64_MAX (an unmanaged CE without a size counts as unlimited).
int64_t SaturatingAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

}  // namespace

FairShareTracker* BatchState::FairShareOf(const std::string& queue_arn) {
  const JobQueue* queue = FindJobQueue(queue_arn);
  if (queue == nullptr || queue->scheduling_policy_arn.empty()) return nullptr;
  const SchedulingPolicy* policy = FindSchedulingPolicy(queue->scheduling_policy_arn);
  FairsharePolicy fairshare =
      policy && policy->fairshare_policy ? *policy->fairshare_policy : FairsharePolicy{};
  auto it = fair_share_.find(queue->arn);
  if (it != fair_share_.end()) return &it->second;
  // First use since start-up: continue from the usage the queue's record kept, if readable.
  Result<FairShareTracker> saved =
      queue->fair_share_usage.empty()
          ? Result<FairShareTracker>(Status::NotFound("no saved usage"))
          : FairShareTracker::Deserialize(fairshare, queue->fair_share_usage);
  auto inserted = fair_share_.emplace(
      queue->arn, saved.ok() ? std::move(saved).value() : FairShareTracker(fairshare));
  return &inserted.first->second;
}

void BatchState::OnPolicyChanged(const SchedulingPolicy& policy) {
  for (auto& [queue_arn, tracker] : fair_share_) {
    const JobQueue* queue = FindJobQueue(queue_arn);
    if (queue != nullptr && queue->scheduling_policy_arn == policy.arn) {
      tracker.SetPolicy(policy.fairshare_policy.value_or(FairsharePolicy{}), clock_.NowMillis());
    }
  }
}

void BatchState::SaveFairShareUsage() {
  for (const auto& [queue_arn, tracker] : fair_share_) {
    const JobQueue* queue = FindJobQueue(queue_arn);
    if (queue == nullptr) continue;
    JobQueue& saved = job_queues_[queue->name];
    std::string usage = tracker.Serialize();
    if (usage == saved.fair_share_usage) continue;
    saved.fair_share_usage = std::move(usage);
    changes_.job_queues.insert(saved.name);
  }
}

void BatchState::DispatchFairShare(const JobQueue& queue, Decisions& decisions, int& examined) {
  FairShareTracker& tracker = *FairShareOf(queue.arn);
  // Candidates per share, best first: (-schedulingPriority, id). Array parents stand for their
  // next child.
  std::map<std::string, std::set<std::pair<int, std::string>>> by_share;
  auto add_candidate = [&](const Job* job) {
    if (job->IsMultiNodeParent()) return;  // its nodes are placed, not itself
    by_share[job->share_identifier].insert({-job->scheduling_priority.value_or(0), job->job_id});
  };
  // The candidates are gathered from the oldest, up to the per-pass budget; gathering does not use
  // the budget up for the queues after this one, only placing does.
  auto by_queue = jobs_by_queue_.find(queue.arn);
  if (by_queue != jobs_by_queue_.end()) {
    int gathered = 0;
    for (const Job* job : by_queue->second[JobStatus::kRunnable]) {
      if (gathered++ >= options_.max_jobs_examined_per_pass) break;
      add_candidate(job);
    }
  }
  for (const Job* parent : ready_arrays_by_queue_[queue.arn]) add_candidate(parent);

  int64_t queue_max = 0;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (environment != nullptr && environment->state == "ENABLED") {
      queue_max = SaturatingAdd(queue_max, MaxMilliVcpus(*environment));
    }
  }
  int64_t queue_running = 0;
  if (by_queue != jobs_by_queue_.end()) {
    for (JobStatus status : {JobStatus::kStarting, JobStatus::kRunning}) {
      for (const Job* job : by_queue->second[status]) queue_running += job->required.millivcpus;
    }
  }

  while (!by_share.empty() && CapacityLeftThisPass() &&
         examined++ < options_.max_jobs_examined_per_pass) {
    std::vector<std::string> shares;
    for (const auto& [share, candidates] : by_share) shares.push_back(share);
    bool placed = false;
    for (const std::string& share : tracker.ShareOrder(std::move(shares), clock_.NowMillis())) {
      auto& candidates = by_share[share];
      Job& job = jobs_.at(candidates.begin()->second);
      bool active = tracker.RunningMilliVcpus(share) > 0;
      int64_t reserved = active ? tracker.ReservedMilliVcpus(queue_max) : 0;
      bool within_reserve = queue_running + job.required.millivcpus <= queue_max - reserved;
      auto choice = within_reserve ? FindPlacement(job.required, queue) : std::nullopt;
      if (!choice) {
        by_share.erase(share);  // this share waits for this pass; others may still fit
        continue;
      }
      if (job.IsArrayParent()) {
        Job& child = MaterializeChild(job, job.array_next_index++, JobStatus::kRunnable, "");
        MarkJobChanged(job);
        Place(child, queue, *choice, decisions);
        if (job.array_next_index >= *job.array_size) {
          ready_arrays_by_queue_[queue.arn].erase(&job);
          candidates.erase(candidates.begin());
        }
      } else {
        Place(job, queue, *choice, decisions);
        candidates.erase(candidates.begin());
      }
      queue_running += job.required.millivcpus;
      if (candidates.empty()) by_share.erase(share);
      placed = true;
      break;  // usage changed: order the shares again
    }
    if (!placed) return;
  }
}

}  // namespace gleaner
