// Fair-share job queues (a scheduling policy attached): the next job comes from the share
// identifier with the lowest weighted usage; within a share, higher schedulingPriority first, then
// submission order; computeReservation holds capacity back for shares that run nothing yet.
#include <map>
#include <set>

#include "scheduler/dispatch/dispatch_pass.h"

namespace gleaner {
namespace {

// Best first: higher schedulingPriority, then submission order.
struct ByPriorityThenId {
  bool operator()(const Job* a, const Job* b) const {
    int priority_a = a->scheduling_priority.value_or(0);
    int priority_b = b->scheduling_priority.value_or(0);
    if (priority_a != priority_b) return priority_a > priority_b;
    return a->job_id < b->job_id;
  }
};

}  // namespace

void DispatchFairShare(const JobQueue& queue, JobSet& ready_arrays, DispatchPass& pass) {
  DispatchWorld& world = pass.world();
  FairShareTracker& tracker = *world.FairShareOf(queue.arn);
  // Candidates per share, best first. Array parents stand for their next child.
  std::map<std::string, std::set<Job*, ByPriorityThenId>> by_share;
  auto add_candidate = [&](Job* job) {
    if (job->IsMultiNodeParent()) return;  // its nodes are placed, not itself
    by_share[job->share_identifier].insert(job);
  };
  // The candidates are gathered from the oldest, up to the per-pass budget; gathering does not use
  // the budget up for the queues after this one, only placing does.
  if (const JobSet* runnable = world.JobsIn(queue.arn, JobStatus::kRunnable)) {
    int gathered = 0;
    for (Job* job : *runnable) {
      if (gathered++ >= pass.budget()) break;
      add_candidate(job);
    }
  }
  for (Job* parent : ready_arrays) add_candidate(parent);

  FairShareRoom room = FairShareRoomOf(queue, world);
  while (!by_share.empty() && pass.CapacityLeft() && pass.BudgetLeft()) {
    pass.CountExamined();
    std::vector<std::string> shares;
    for (const auto& [share, candidates] : by_share) shares.push_back(share);
    bool placed = false;
    for (const std::string& share : tracker.ShareOrder(std::move(shares), world.NowMillis())) {
      auto& candidates = by_share[share];
      Job& job = **candidates.begin();
      auto choice = HeldByReservation(tracker, share, job.required, room)
                        ? std::nullopt
                        : pass.Find(job.required, queue);
      if (!choice) {
        by_share.erase(share);  // this share waits for this pass; others may still fit
        continue;
      }
      if (job.IsArrayParent()) {
        Job& child = world.MakeNextArrayChild(job);
        pass.Place(child, queue, *choice);
        if (job.array_next_index >= *job.array_size) {
          ready_arrays.erase(&job);
          candidates.erase(candidates.begin());
        }
      } else {
        candidates.erase(candidates.begin());
        pass.Place(job, queue, *choice);
      }
      room.queue_running += job.required.millivcpus;
      if (candidates.empty()) by_share.erase(share);
      placed = true;
      break;  // usage changed: order the shares again
    }
    if (!placed) return;
  }
}

}  // namespace gleaner
