// BatchState: placing RUNNABLE jobs on hosts, explaining why a job waits, timers.
#include <algorithm>
#include <climits>
#include <csignal>

#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

// What a compute environment may hold at once, in fixed point.
int64_t MaxMilliVcpus(const ComputeEnvironment& environment) {
  if (environment.compute_resources) {
    return static_cast<int64_t>(environment.compute_resources->maxv_cpus) * 1000;
  }
  if (environment.unmanagedv_cpus && *environment.unmanagedv_cpus > 0) {
    return static_cast<int64_t>(*environment.unmanagedv_cpus) * 1000;
  }
  return INT64_MAX;  // unmanaged without a declared size: whatever its hosts have
}

std::string DefinitionName(const std::string& definition_arn) {
  std::string name_rev = ArnResourceName(definition_arn, "job-definition");
  return name_rev.substr(0, name_rev.rfind(':'));
}

constexpr char kAttemptTimedOut[] = "Job attempt duration exceeded timeout";

}  // namespace

void BatchState::AddHost(Host host) {
  std::string id = host.instance_id;
  hosts_[id] = std::move(host);
}

std::optional<EpochMillis> BatchState::NextTimer() const {
  if (attempt_timers_.empty()) return std::nullopt;
  return attempt_timers_.begin()->first;
}

void BatchState::SetAttemptTimer(const std::string& job_id, EpochMillis due) {
  ClearAttemptTimer(job_id);
  attempt_timers_.insert({due, job_id});
  attempt_timer_due_[job_id] = due;
}

void BatchState::ClearAttemptTimer(const std::string& job_id) {
  auto due = attempt_timer_due_.find(job_id);
  if (due == attempt_timer_due_.end()) return;
  attempt_timers_.erase({due->second, job_id});
  attempt_timer_due_.erase(due);
}

void BatchState::FireTimers(Decisions& decisions) {
  EpochMillis now = clock_.NowMillis();
  while (!attempt_timers_.empty() && attempt_timers_.begin()->first <= now) {
    std::string job_id = attempt_timers_.begin()->second;
    ClearAttemptTimer(job_id);
    Job* job = MutableJob(job_id);
    if (job == nullptr || !job->placement) continue;
    if (job->placement->termination_requested) {
      decisions.signals.push_back({job_id, SIGKILL});
    } else {
      RequestTermination(*job, kAttemptTimedOut);
    }
  }
  // Timeouts just fired queued their SIGTERMs in pending_.
  for (SignalAttempt& signal : pending_.signals) decisions.signals.push_back(signal);
  pending_.signals.clear();
}

Decisions BatchState::Schedule() {
  Decisions decisions = std::move(pending_);
  pending_ = {};
  FireTimers(decisions);

  std::vector<const JobQueue*> queues;
  for (const auto& [name, queue] : job_queues_) {
    if (queue.state == "ENABLED" && queue.status == "VALID") queues.push_back(&queue);
  }
  // Highest priority first; equal priorities by name so the order is deterministic.
  std::stable_sort(queues.begin(), queues.end(),
                   [](const JobQueue* a, const JobQueue* b) { return a->priority > b->priority; });

  int examined = 0;
  for (const JobQueue* queue : queues) {
    auto by_queue = jobs_by_queue_.find(queue->arn);
    if (by_queue == jobs_by_queue_.end()) continue;
    std::set<std::string>& runnable = by_queue->second[JobStatus::kRunnable];
    for (auto it = runnable.begin(); it != runnable.end();) {
      if (examined++ >= options_.max_jobs_examined_per_pass) return decisions;
      bool any_room = std::any_of(hosts_.begin(), hosts_.end(), [](const auto& entry) {
        Resources free = entry.second.Free();
        return entry.second.accepting && free.millivcpus > 0 && free.memory_mib > 0;
      });
      if (!any_room) return decisions;
      Job& job = jobs_.at(*it);
      ++it;  // placing moves the job out of `runnable`
      TryPlace(job, *queue, decisions);
    }
  }
  return decisions;
}

bool BatchState::TryPlace(Job& job, const JobQueue& queue, Decisions& decisions) {
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (environment == nullptr || environment->state != "ENABLED" ||
        environment->status != "VALID") {
      continue;
    }
    Resources& used = used_by_compute_environment_[environment->arn];
    if (used.millivcpus + job.required.millivcpus > MaxMilliVcpus(*environment)) continue;
    Host* chosen = nullptr;
    for (auto& [id, host] : hosts_) {
      if (host.accepting && job.required.FitsIn(host.Free())) {
        chosen = &host;
        break;
      }
    }
    if (chosen == nullptr) continue;
    chosen->used += job.required;
    used += job.required;

    AttemptPlacement placement;
    placement.compute_environment_arn = environment->arn;
    placement.instance_id = chosen->instance_id;
    placement.reserved = job.required;
    job.placement = placement;

    std::string task_id = RandomHex(random_, 32);
    AttemptContainer& current = job.container.current;
    current = AttemptContainer{};
    current.container_instance_arn = chosen->container_instance_arn;
    current.task_arn = options_.scope.EcsTask(task_id);
    current.log_stream_name = DefinitionName(job.job_definition) + "/default/" + task_id;
    SetStatus(job, JobStatus::kStarting, "");
    decisions.starts.push_back({job.job_id});
    return true;
  }
  return false;
}

std::string BatchState::ExplainWaiting(const Job& job) const {
  const JobQueue* queue = FindJobQueue(job.job_queue);
  if (queue == nullptr) return "Job queue was deleted";
  if (queue->state != "ENABLED") {
    return "Job queue " + queue->name + " is DISABLED: its jobs wait until it is ENABLED";
  }
  Resources largest_host;
  for (const auto& [id, host] : hosts_) {
    if (host.total.millivcpus >= largest_host.millivcpus) largest_host = host.total;
  }
  bool any_usable = false;
  bool any_big_enough = false;
  for (const ComputeEnvironmentOrder& entry : queue->compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (environment == nullptr || environment->state != "ENABLED" ||
        environment->status != "VALID") {
      continue;
    }
    any_usable = true;
    if (job.required.millivcpus <= MaxMilliVcpus(*environment)) any_big_enough = true;
  }
  if (!any_usable) {
    return "No compute environment of job queue " + queue->name +
           " is ENABLED and VALID: the job waits until one is";
  }
  if (!any_big_enough) {
    return "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job "
           "queue cannot meet the CPU requirement of the job (needs " +
           job.required.ToString() + ").";
  }
  if (!job.required.FitsIn(largest_host)) {
    return "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
           "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job "
           "queue (needs " +
           job.required.ToString() + "; the largest host has " + largest_host.ToString() + ").";
  }
  Resources free;
  for (const auto& [id, host] : hosts_) {
    if (host.accepting) free += host.Free();
  }
  return "CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
         "; free now: " + free.ToString() + ".";
}

}  // namespace gleaner
