// BatchState: rebuilding memory from the store after a restart.
#include <csignal>

#include "scheduler/batch_state.h"

namespace gleaner {

void BatchState::RestoreComputeEnvironment(ComputeEnvironment environment) {
  std::string name = environment.name;
  compute_environments_[name] = std::move(environment);
}

void BatchState::RestoreJobQueue(JobQueue queue) {
  std::string name = queue.name;
  job_queues_[name] = std::move(queue);
}

void BatchState::RestoreSchedulingPolicy(SchedulingPolicy policy) {
  std::string name = policy.name;
  scheduling_policies_[name] = std::move(policy);
}

void BatchState::RestoreJobDefinition(JobDefinition definition) {
  std::string name = definition.name;
  int revision = definition.revision;
  job_definitions_[name][revision] = std::move(definition);
}

void BatchState::RestoreJob(Job job) {
  // Records arrive in key order: hinted at the end, each insertion is constant time.
  std::string key = job.job_id;
  Job& restored = jobs_.insert_or_assign(jobs_.end(), std::move(key), std::move(job))->second;
  const std::string& id = restored.job_id;
  restored.job_queue = arns_.Intern(restored.job_queue);
  restored.job_definition = arns_.Intern(restored.job_definition);
  IndexJob(restored);
  ShareDefinitionContainer(restored);
  if (restored.IsArrayChild()) {
    array_counts_[id.substr(0, id.rfind(':'))][static_cast<size_t>(restored.status)]++;
  }
  if (restored.IsArrayParent()) {
    std::string source = NToNSource(restored);
    if (!source.empty()) n_to_n_dependents_[source].push_back(id);
    if (restored.array_released && !restored.array_stopped && !IsTerminal(restored.status) &&
        ModeOf(restored) == ArrayMode::kAllAtOnce &&
        restored.array_next_index < *restored.array_size) {
      dispatcher_.OnArrayReady(restored);
    }
  }
  if (restored.status == JobStatus::kPending && !restored.array_released) {
    for (const JobDependency& dependency : restored.depends_on) {
      if (IsGatingDependency(restored, dependency)) dependents_[dependency.job_id].push_back(id);
    }
  }
}

// A job whose container is its definition's, as the record has it, holds the definition's copy.
void BatchState::ShareDefinitionContainer(Job& job) {
  // Looked up by the job's ARN first: a million records should not each parse it.
  auto cached = definition_containers_.find(job.job_definition);
  const SharedValue<ContainerProperties>* shared =
      cached == definition_containers_.end() ? nullptr : &cached->second;
  if (shared == nullptr) {
    const JobDefinition* definition = FindJobDefinition(job.job_definition);
    if (definition == nullptr || !definition->container_properties) return;
    shared = &DefinitionContainer(*definition);
  }
  if (*job.container.properties == **shared) job.container.properties.ShareWith(*shared);
}

std::vector<AttemptPlacement> BatchState::FinishRestore(const KeepLocalAttempt& keep_local,
                                                        std::vector<std::string>* kept_local) {
  std::vector<AttemptPlacement> lost;
  // One walk over every job (a million take a while): the placed ones, and the array parents,
  // whose status is looked at again below, once lost attempts have ended.
  std::vector<std::string> placed;
  std::vector<std::string> array_parents;
  for (const auto& [id, job] : jobs_) {
    if (job.placement) placed.push_back(id);
    if (job.IsArrayParent()) array_parents.push_back(id);
  }
  for (const std::string& id : placed) {
    Job& job = jobs_.at(id);
    AttemptPlacement placement = *job.placement;
    // An agent's attempt may run on: also one still STARTING, since its start was durable
    // before it was sent (the agent says at its registration whether it got it).
    bool keep_remote = placement.remote &&
                       (job.status == JobStatus::kStarting || job.status == JobStatus::kRunning);
    bool keep_here = !placement.remote && FindHost(placement.instance_id) != nullptr &&
                     keep_local &&
                     (job.status == JobStatus::kStarting || job.status == JobStatus::kRunning) &&
                     keep_local(job);
    if (keep_remote || keep_here) {
      jobs_by_host_[placement.instance_id].insert(&job);
      dispatcher_.hosts().Restore(placement, /*on_host=*/keep_here);
      if (keep_remote) {
        // Still running on its agent's machine: the attempt is its again once the agent
        // registers (AddHost), or ends with the host if it never does (LoseHost).
        adrift_hosts_.insert(placement.instance_id);
      } else {
        // On a host that is back already: the engine finds the process again or records its end.
        if (kept_local != nullptr) kept_local->push_back(id);
      }
      if (job.status != JobStatus::kRunning) continue;  // its timers start with its launch
      if (placement.termination_requested) {
        // Its SIGTERM may have been lost with the previous server: again, with a fresh grace.
        pending_.signals.push_back({id, SIGTERM});
        SetAttemptTimer(id, clock_.NowMillis() + options_.stop_grace_millis);
      } else if (job.timeout && job.timeout->attempt_duration_seconds) {
        SetAttemptTimer(
            id, placement.started_at + int64_t{*job.timeout->attempt_duration_seconds} * 1000);
      }
      continue;
    }
    lost.push_back(placement);
    // The new server never reserved this placement on its hosts: forget it, then end the attempt.
    job.placement->reserved = Resources{};
    AttemptContainer container = *job.container.current;
    container.exit_code.reset();
    std::string reason = "Job attempt lost: gleaner restarted while the attempt was " +
                         std::string(ToString(job.status));
    container.reason = reason;
    if (job.status == JobStatus::kStarting || job.status == JobStatus::kRunning) {
      EndAttempt(job, container, reason, /*retryable=*/!job.placement->termination_requested);
    } else {
      job.placement.reset();
      MarkJobChanged(job);
    }
  }
  // A crash between a dependency finishing and its dependents being saved leaves them PENDING
  // with nothing left to wake them: settle them now. (The waited-on jobs, from dependents_: in id
  // order like jobs_, and far fewer.)
  std::vector<std::string> settled;
  for (const auto& [id, waiting] : dependents_) {
    auto job = jobs_.find(id);
    if (job != jobs_.end() && IsTerminal(job->second.status)) settled.push_back(id);
  }
  for (const std::string& id : settled) ReleaseDependentsOf(id);
  // Likewise an array whose last child finished just before the crash.
  std::vector<std::string> parents;
  for (const std::string& id : array_parents) {
    if (!IsTerminal(jobs_.at(id).status)) parents.push_back(id);
  }
  for (const std::string& id : parents) MaybeCompleteArray(jobs_.at(id));
  SettleMultiNodeJobs();
  return lost;
}

}  // namespace gleaner
