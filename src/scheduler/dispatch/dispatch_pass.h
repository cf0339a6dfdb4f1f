#pragma once

// Inside the dispatcher: what one pass learns and promises, and the placement policy.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/dispatch/dispatcher.h"

namespace gleaner {

// A usable compute environment of a queue, as a pass or an evaluation sees it.
struct PlacementTarget {
  const ComputeEnvironment* environment = nullptr;
  const Resources* used = nullptr;  // what attempts hold in it
  int64_t max_millivcpus = 0;
  HostFinder::Environment* hosts = nullptr;  // passes only
};

// Where a job goes: a compute environment and one of its hosts (Host* in a pass, which reserves
// on it; const Host* in an evaluation, which only looks).
template <typename HostPointer>
struct PlacementChoiceOf {
  const ComputeEnvironment* environment = nullptr;
  HostPointer host = nullptr;
};
using PlacementChoice = PlacementChoiceOf<Host*>;

// The placement policy: the first of `targets` (a queue's usable compute environments, in order)
// whose maxvCpus leaves room for `required` and where `find_host(target, required)` finds a host
// with room.
template <typename FindHost>
auto FirstFit(const std::vector<PlacementTarget>& targets, const Resources& required,
              FindHost&& find_host)
    -> std::optional<PlacementChoiceOf<decltype(find_host(targets.front(), required))>> {
  for (const PlacementTarget& target : targets) {
    if (target.used->millivcpus + required.millivcpus > target.max_millivcpus) continue;
    if (auto host = find_host(target, required)) return {{target.environment, host}};
  }
  return std::nullopt;
}

// The vCPUs a fair-share queue may hold (its ENABLED compute environments' maxvCpus) and holds.
struct FairShareRoom {
  int64_t queue_max = 0;
  int64_t queue_running = 0;
};
FairShareRoom FairShareRoomOf(const JobQueue& queue, const DispatchWorld& world);
// Whether computeReservation holds `required` back from `share` (only shares that run something
// are held back: the reserve is for the ones that do not).
bool HeldByReservation(const FairShareTracker& tracker, const std::string& share,
                       const Resources& required, const FairShareRoom& room);

// One dispatch pass. Within it hosts only fill up: it keeps a cursor past the hosts that are
// full, and HostFinder remembers per shape where it last fitted; anything that gives room back
// moves HostPool::room_version() and the pass looks again.
class DispatchPass {
 public:
  DispatchPass(HostPool& pool, DispatchWorld& world, int budget);

  DispatchWorld& world() { return world_; }
  // The per-pass budget of jobs looked at, over every queue.
  int budget() const { return budget_; }
  bool BudgetLeft() const { return examined_ < budget_; }
  void CountExamined() { ++examined_; }
  // Whether anything may still be placed or requested in this pass.
  bool CapacityLeft();
  // Whether any usable compute environment of the queue has hosts or can get some.
  bool QueueMayPlace(const JobQueue& queue) const;

  // Where `required` goes in `queue` now. When nowhere, `copies` jobs of it ask for capacity.
  std::optional<PlacementChoice> Find(const Resources& required, const JobQueue& queue,
                                      int copies = 1);
  // No host has room for `copies` jobs of `required`: counts them against booting hosts, or asks
  // the first compute environment of the queue that can scale for them.
  void RequestCapacity(const Resources& required, const JobQueue& queue, int copies);
  // Reserves the job's resources there and starts its attempt.
  void Place(Job& job, const JobQueue& queue, const PlacementChoice& choice);

  CapacityRequests TakeCapacityRequests() { return std::move(capacity_requests_); }

 private:
  const std::vector<PlacementTarget>& TargetsOf(const JobQueue& queue);
  bool AnyHostHasRoom();
  bool CanRequestCapacity() const;

  HostPool& pool_;
  DispatchWorld& world_;
  const int budget_;
  int examined_ = 0;
  std::map<std::string, Host>::const_iterator room_cursor_;
  uint64_t room_version_ = 0;
  std::map<std::string, Resources> promised_;            // booting host -> promised
  std::map<std::string, int64_t> requested_millivcpus_;  // CE ARN -> requested
  CapacityRequests capacity_requests_;
  std::map<const JobQueue*, std::vector<PlacementTarget>> targets_;
};

// The orders within a queue: each places the queue's jobs until the pass runs out of budget or
// capacity. `ready_arrays` are the queue's array parents whose next children may start.
void DispatchFifo(const JobQueue& queue, RunnableShapes::Groups* groups, JobSet& ready_arrays,
                  DispatchPass& pass);
void DispatchFairShare(const JobQueue& queue, JobSet& ready_arrays, DispatchPass& pass);

}  // namespace gleaner
