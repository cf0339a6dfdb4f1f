// BatchState: hosts joining, booting, draining and leaving, and asking for more capacity.
#include <csignal>

#include "scheduler/batch_state.h"

namespace gleaner {

void BatchState::AddHost(Host host) {
  std::string id = host.instance_id;
  auto existing = hosts_.find(id);
  if (existing != hosts_.end()) {
    if (existing->second.booting) --hosts_booting_;
    --hosts_by_environment_[existing->second.compute_environment_arn];
  }
  ++hosts_by_environment_[host.compute_environment_arn];
  if (host.booting) {
    host.accepting = false;
    ++hosts_booting_;
  }
  if (adrift_hosts_.erase(id) != 0) {
    for (const std::string& job_id : JobsOnHost(id)) {
      const Job* job = FindJob(job_id);
      if (job == nullptr || !job->placement) continue;
      host.used += job->placement->reserved;
      for (int gpu : job->placement->gpu_ids) host.gpus_in_use |= uint64_t{1} << gpu;
    }
  }
  hosts_[id] = std::move(host);
  room_cursor_ = hosts_.end();
  host_finder_.OnHostsChanged();
}

const Host* BatchState::FindHost(const std::string& instance_id) const {
  auto host = hosts_.find(instance_id);
  return host == hosts_.end() ? nullptr : &host->second;
}

void BatchState::OnHostReady(const std::string& instance_id) {
  auto host = hosts_.find(instance_id);
  if (host == hosts_.end() || !host->second.booting) return;
  host->second.booting = false;
  --hosts_booting_;
  host->second.accepting = !host->second.interruption_deadline.has_value();
}

std::vector<std::string> BatchState::JobsOnHost(const std::string& instance_id) const {
  auto placed = jobs_by_host_.find(instance_id);
  if (placed == jobs_by_host_.end()) return {};
  std::vector<std::string> ids;
  for (const Job* job : placed->second) ids.push_back(job->job_id);
  return ids;
}

std::vector<std::string> BatchState::OnInterruptionNotice(const std::string& instance_id,
                                                          EpochMillis deadline,
                                                          bool signal_attempts) {
  auto host = hosts_.find(instance_id);
  if (host == hosts_.end()) return {};
  host->second.accepting = false;
  host->second.interruption_deadline = deadline;
  std::vector<std::string> job_ids = JobsOnHost(instance_id);
  for (const std::string& job_id : job_ids) {
    Job* job = MutableJob(job_id);
    if (job == nullptr || !job->placement) continue;
    job->placement->interruption_reason = "Host EC2 (instance " + instance_id + ") terminated.";
    MarkJobChanged(*job);
    if (signal_attempts && job->placement->pid > 0) pending_.signals.push_back({job_id, SIGTERM});
  }
  return job_ids;
}

void BatchState::TerminateHost(const std::string& instance_id) {
  auto host = hosts_.find(instance_id);
  if (host == hosts_.end()) return;
  for (const std::string& job_id : JobsOnHost(instance_id)) {
    Job* job = MutableJob(job_id);
    if (job == nullptr || !job->placement) continue;
    if (job->placement->interruption_reason.empty()) {
      job->placement->interruption_reason = "Host EC2 (instance " + instance_id + ") terminated.";
      MarkJobChanged(*job);
    }
    // The process runs on this machine: it ends when killed, and its exit ends the attempt. One
    // still being launched is killed when its launch is reported.
    if (job->placement->pid > 0) pending_.signals.push_back({job_id, SIGKILL});
  }
  // The attempts still hold their reservations; releasing them finds no host, which is right.
  if (host->second.booting) --hosts_booting_;
  --hosts_by_environment_[host->second.compute_environment_arn];
  hosts_.erase(host);
  room_cursor_ = hosts_.end();
  host_finder_.OnHostsChanged();
}

void BatchState::LoseHost(const std::string& instance_id) {
  std::vector<std::string> jobs = JobsOnHost(instance_id);
  TerminateHost(instance_id);
  adrift_hosts_.erase(instance_id);
  for (const std::string& job_id : jobs) {
    Job* job = MutableJob(job_id);
    if (job == nullptr || !job->placement) continue;
    if (job->placement->interruption_reason.empty()) {  // adrift: TerminateHost found no host
      job->placement->interruption_reason = "Host EC2 (instance " + instance_id + ") terminated.";
    }
    if (job->status == JobStatus::kStarting) OnAttemptLaunched(job_id, 0, 0);
    OnAttemptExited(job_id, 128 + SIGKILL, SIGKILL);
  }
}

void BatchState::SetScalingCapacity(const std::string& compute_environment_arn,
                                    std::optional<ScalingCapacity> capacity) {
  if (capacity) {
    scaling_[compute_environment_arn] = std::move(*capacity);
  } else {
    scaling_.erase(compute_environment_arn);
  }
}

bool BatchState::UsableForPlacement(const ComputeEnvironment* environment) const {
  return environment != nullptr && environment->state == "ENABLED" &&
         environment->status == "VALID";
}

bool BatchState::QueueMayPlace(const JobQueue& queue) const {
  auto has_hosts = [this](const std::string& arn) {
    auto count = hosts_by_environment_.find(arn);
    return count != hosts_by_environment_.end() && count->second > 0;
  };
  if (has_hosts("")) return true;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    if (has_hosts(environment->arn) || scaling_.count(environment->arn) != 0) return true;
  }
  return false;
}

bool BatchState::CanRequestCapacityThisPass() const {
  for (const auto& [id, host] : hosts_) {
    if (!host.booting) continue;
    auto promised = promised_this_pass_.find(id);
    Resources free = host.Free();
    if (promised != promised_this_pass_.end()) free -= promised->second;
    if (free.millivcpus > 0 && free.memory_mib > 0) return true;
  }
  for (const auto& [arn, capacity] : scaling_) {
    auto requested = requested_millivcpus_this_pass_.find(arn);
    int64_t already = requested == requested_millivcpus_this_pass_.end() ? 0 : requested->second;
    if (capacity.blocked_reason.empty() && capacity.room_millivcpus > already) return true;
  }
  return false;
}

bool BatchState::CapacityLeftThisPass() {
  return AnyHostHasRoom() || (!scaling_.empty() && CanRequestCapacityThisPass());
}

void BatchState::RequestCapacity(const Resources& required, const JobQueue& queue, int copies) {
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    if (copies <= 0) return;
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    // Instances already launching for this compute environment come first.
    for (auto& [id, host] : hosts_) {
      if (!host.booting || !host.Serves(environment->arn)) continue;
      Resources& promised = promised_this_pass_[id];
      while (copies > 0 && required.FitsIn(host.Free() - promised)) {
        promised += required;
        --copies;
      }
    }
    auto scaling = scaling_.find(environment->arn);
    if (scaling == scaling_.end() || !scaling->second.blocked_reason.empty() ||
        !scaling->second.AnySizeFits(required)) {
      continue;
    }
    int64_t& requested = requested_millivcpus_this_pass_[environment->arn];
    std::vector<Resources>& requests = capacity_requests_this_pass_[environment->arn];
    while (copies > 0 && requested + required.millivcpus <= scaling->second.room_millivcpus) {
      requests.push_back(required);
      requested += required.millivcpus;
      --copies;
    }
  }
}

}  // namespace gleaner
