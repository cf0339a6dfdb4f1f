// BatchState: hosts joining, booting, draining and leaving, and what their attempts go through.
// The hosts themselves, and what is reserved on them, are the dispatcher's (dispatch/host_pool.h).
#include <csignal>

#include "scheduler/batch_state.h"

namespace gleaner {

void BatchState::AddHost(Host host) {
  std::string id = host.instance_id;
  if (adrift_hosts_.erase(id) != 0) {
    for (const std::string& job_id : JobsOnHost(id)) {
      const Job* job = FindJob(job_id);
      if (job == nullptr || !job->placement) continue;
      host.used += job->placement->reserved;
      for (int gpu : job->placement->gpu_ids) host.gpus_in_use |= uint64_t{1} << gpu;
    }
  }
  dispatcher_.hosts().Add(std::move(host));
}

const Host* BatchState::FindHost(const std::string& instance_id) const {
  return dispatcher_.hosts().Find(instance_id);
}

void BatchState::OnHostReady(const std::string& instance_id) {
  dispatcher_.hosts().MarkReady(instance_id);
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
  if (!dispatcher_.hosts().Drain(instance_id, deadline)) return {};
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
  if (FindHost(instance_id) == nullptr) return;
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
  dispatcher_.hosts().Remove(instance_id);
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
  dispatcher_.hosts().SetScaling(compute_environment_arn, std::move(capacity));
}

}  // namespace gleaner
