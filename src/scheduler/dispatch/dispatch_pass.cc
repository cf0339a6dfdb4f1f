// A dispatch pass: placement over the hosts, and asking for capacity when there is no room.
#include "scheduler/dispatch/dispatch_pass.h"

#include <algorithm>
#include <climits>

namespace gleaner {
namespace {

constexpr int kMaxCapacityRequestsPerJob = 10'000;

// a + b, capped at INT64_MAX (an unmanaged CE without a size counts as unlimited).
int64_t SaturatingAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

}  // namespace

int64_t MaxMilliVcpus(const ComputeEnvironment& environment) {
  if (environment.compute_resources) {
    return static_cast<int64_t>(environment.compute_resources->maxv_cpus) * 1000;
  }
  if (environment.unmanagedv_cpus && *environment.unmanagedv_cpus > 0) {
    return static_cast<int64_t>(*environment.unmanagedv_cpus) * 1000;
  }
  return INT64_MAX;  // unmanaged without a declared size: whatever its hosts have
}

bool UsableForPlacement(const ComputeEnvironment* environment) {
  return environment != nullptr && environment->state == ResourceState::kEnabled &&
         environment->status == ResourceStatus::kValid;
}

FairShareRoom FairShareRoomOf(const JobQueue& queue, const DispatchWorld& world) {
  FairShareRoom room;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment = world.FindComputeEnvironment(entry.compute_environment);
    if (environment != nullptr && environment->state == ResourceState::kEnabled) {
      room.queue_max = SaturatingAdd(room.queue_max, MaxMilliVcpus(*environment));
    }
  }
  for (JobStatus status : {JobStatus::kStarting, JobStatus::kRunning}) {
    const JobSet* jobs = world.JobsIn(queue.arn, status);
    if (jobs == nullptr) continue;
    for (const Job* job : *jobs) room.queue_running += job->required.millivcpus;
  }
  return room;
}

bool HeldByReservation(const FairShareTracker& tracker, const std::string& share,
                       const Resources& required, const FairShareRoom& room) {
  bool active = tracker.RunningMilliVcpus(share) > 0;
  int64_t reserved = active ? tracker.ReservedMilliVcpus(room.queue_max) : 0;
  return room.queue_running + required.millivcpus > room.queue_max - reserved;
}

DispatchPass::DispatchPass(HostPool& pool, DispatchWorld& world, int budget)
    : pool_(pool), world_(world), budget_(budget) {
  pool_.finder().BeginPass();
  room_cursor_ = pool_.hosts().begin();
  room_version_ = pool_.room_version();
}

// Hosts before the cursor are full (or not accepting) for the rest of the pass, unless room was
// given back since.
bool DispatchPass::AnyHostHasRoom() {
  if (room_version_ != pool_.room_version()) {
    room_cursor_ = pool_.hosts().begin();
    room_version_ = pool_.room_version();
  }
  for (; room_cursor_ != pool_.hosts().end(); ++room_cursor_) {
    const Host& host = room_cursor_->second;
    Resources free = host.Free();
    if (host.accepting && free.millivcpus > 0 && free.memory_mib > 0) return true;
  }
  return false;
}

bool DispatchPass::CanRequestCapacity() const {
  for (const auto& [id, host] : pool_.hosts()) {
    if (!host.booting) continue;
    auto promised = promised_.find(id);
    Resources free = host.Free();
    if (promised != promised_.end()) free -= promised->second;
    if (free.millivcpus > 0 && free.memory_mib > 0) return true;
  }
  for (const auto& [arn, capacity] : pool_.scaling()) {
    auto requested = requested_millivcpus_.find(arn);
    int64_t already = requested == requested_millivcpus_.end() ? 0 : requested->second;
    if (capacity.blocked_reason.empty() && capacity.room_millivcpus > already) return true;
  }
  return false;
}

bool DispatchPass::CapacityLeft() {
  return AnyHostHasRoom() || (!pool_.scaling().empty() && CanRequestCapacity());
}

bool DispatchPass::QueueMayPlace(const JobQueue& queue) const {
  if (pool_.AnyHostServes("")) return true;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment =
        world_.FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    if (pool_.AnyHostServes(environment->arn) || pool_.ScalingOf(environment->arn) != nullptr) {
      return true;
    }
  }
  return false;
}

const std::vector<PlacementTarget>& DispatchPass::TargetsOf(const JobQueue& queue) {
  auto [cached, inserted] = targets_.try_emplace(&queue);
  if (!inserted) return cached->second;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment =
        world_.FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    cached->second.push_back({environment, pool_.UsedByEntry(environment->arn),
                              MaxMilliVcpus(*environment), &pool_.finder().Of(environment->arn)});
  }
  return cached->second;
}

std::optional<PlacementChoice> DispatchPass::Find(const Resources& required, const JobQueue& queue,
                                                  int copies) {
  HostFinder& finder = pool_.finder();
  auto choice = FirstFit(TargetsOf(queue), required,
                         [&finder](const PlacementTarget& target, const Resources& needed) {
                           return finder.FindHost(*target.hosts, needed);
                         });
  if (!choice && (!pool_.scaling().empty() || pool_.booting() > 0)) {
    RequestCapacity(required, queue, std::min(copies, kMaxCapacityRequestsPerJob));
  }
  return choice;
}

void DispatchPass::RequestCapacity(const Resources& required, const JobQueue& queue, int copies) {
  copies = std::min(copies, kMaxCapacityRequestsPerJob);
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    if (copies <= 0) return;
    const ComputeEnvironment* environment =
        world_.FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    // Instances already launching for this compute environment come first.
    for (const auto& [id, host] : pool_.hosts()) {
      if (!host.booting || !host.Serves(environment->arn)) continue;
      Resources& promised = promised_[id];
      while (copies > 0 && required.FitsIn(host.Free() - promised)) {
        promised += required;
        --copies;
      }
    }
    const ScalingCapacity* scaling = pool_.ScalingOf(environment->arn);
    if (scaling == nullptr || !scaling->blocked_reason.empty() || !scaling->AnySizeFits(required)) {
      continue;
    }
    int64_t& requested = requested_millivcpus_[environment->arn];
    std::vector<Resources>& requests = capacity_requests_[environment->arn];
    while (copies > 0 && requested + required.millivcpus <= scaling->room_millivcpus) {
      requests.push_back(required);
      requested += required.millivcpus;
      --copies;
    }
  }
}

void DispatchPass::Place(Job& job, const JobQueue& queue, const PlacementChoice& choice) {
  AttemptPlacement placement;
  placement.compute_environment_arn = choice.environment->arn;
  placement.instance_id = choice.host->instance_id;
  placement.reserved = job.required;
  placement.remote = choice.host->remote;
  placement.gpu_ids = pool_.Reserve(*choice.host, placement.compute_environment_arn, job.required);
  world_.StartAttempt(job, queue, std::move(placement), *choice.host);
}

}  // namespace gleaner
