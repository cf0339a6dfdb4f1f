// BatchState: the usage of fair-share job queues (a scheduling policy attached), kept with the
// queue's record so that a restart continues from it. The order it gives is the dispatcher's
// (dispatch/fair_share_order.cc).
#include "scheduler/batch_state.h"

namespace gleaner {

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

}  // namespace gleaner
