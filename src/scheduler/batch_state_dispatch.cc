// BatchState: placing RUNNABLE jobs on hosts, explaining why a job waits, timers.
#include <algorithm>
#include <climits>
#include <csignal>

#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {

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

namespace {

std::string DefinitionName(const std::string& definition_arn) {
  std::string name_rev = ArnResourceName(definition_arn, "job-definition");
  return name_rev.substr(0, name_rev.rfind(':'));
}

constexpr int kMaxCountedAhead = 10'000;
// An array waiting for capacity asks for at most this many children's worth in one pass.
constexpr int kMaxCapacityRequestsPerJob = 10'000;
constexpr char kAttemptTimedOut[] = "Job attempt duration exceeded timeout";

// The lowest-numbered free GPUs of `host`, marked taken (the placement already checked they fit).
std::vector<int> TakeGpus(Host& host, int64_t count) {
  std::vector<int> taken;
  for (int gpu = 0; gpu < 64 && gpu < host.total.gpus && std::ssize(taken) < count; ++gpu) {
    uint64_t bit = uint64_t{1} << gpu;
    if ((host.gpus_in_use & bit) != 0) continue;
    host.gpus_in_use |= bit;
    taken.push_back(gpu);
  }
  return taken;
}

}  // namespace

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
    if (job->placement->termination_requested && job->placement->pid <= 0) {
      // Not launched yet: it gets its SIGTERM once it is (SignalDueAtLaunch), and a full grace
      // period before the SIGKILL.
      SetAttemptTimer(job_id, now + options_.stop_grace_millis);
    } else if (job->placement->termination_requested) {
      decisions.signals.push_back({job_id, SIGKILL});
    } else {
      RequestTermination(*job, kAttemptTimedOut);
    }
  }
  // Timeouts just fired queued their SIGTERMs in pending_.
  for (SignalAttempt& signal : pending_.signals) decisions.signals.push_back(signal);
  pending_.signals.clear();
}

// Within one Schedule() pass hosts only fill up: a host without room stays so, and a requirement
// no host could take stays unplaceable. The pass keeps a cursor past the full hosts and the shapes
// that failed, so each placement does not walk every host again.
bool BatchState::AnyHostHasRoom() {
  for (; room_cursor_ != hosts_.end(); ++room_cursor_) {
    const Host& host = room_cursor_->second;
    Resources free = host.Free();
    if (host.accepting && free.millivcpus > 0 && free.memory_mib > 0) return true;
  }
  return false;
}

Decisions BatchState::Schedule() {
  Decisions decisions = std::move(pending_);
  pending_ = {};
  room_cursor_ = hosts_.begin();
  host_finder_.BeginPass();
  placement_targets_.clear();
  promised_this_pass_.clear();
  requested_millivcpus_this_pass_.clear();
  capacity_requests_this_pass_.clear();
  FireTimers(decisions);
  PurgeExpiredJobs();
  DispatchQueues(decisions);
  decisions.capacity_requests = std::move(capacity_requests_this_pass_);
  capacity_requests_this_pass_.clear();
  return decisions;
}

void BatchState::DispatchQueues(Decisions& decisions) {
  std::vector<const JobQueue*> queues;
  for (const auto& [name, queue] : job_queues_) {
    if (queue.state == "ENABLED" && queue.status == "VALID") queues.push_back(&queue);
  }
  // Highest priority first; equal priorities by name so the order is deterministic.
  std::stable_sort(queues.begin(), queues.end(),
                   [](const JobQueue* a, const JobQueue* b) { return a->priority > b->priority; });

  int examined = 0;
  for (const JobQueue* queue : queues) {
    if (examined >= options_.max_jobs_examined_per_pass || !CapacityLeftThisPass()) return;
    if (!QueueMayPlace(*queue)) continue;
    if (!queue->scheduling_policy_arn.empty()) {
      DispatchFairShare(*queue, decisions, examined);
    } else {
      DispatchFifo(*queue, decisions, examined);
    }
  }
}

// The queue's RUNNABLE jobs and arrays with children to start, merged in submission (id) order.
// The jobs come by shape (RunnableShapes): a shape that fits nowhere leaves the merge at its first
// job, after asking for capacity for all of its jobs, so what cannot be placed costs the pass
// O(shapes) and the examined-jobs budget goes to jobs that are really tried.
void BatchState::DispatchFifo(const JobQueue& queue, Decisions& decisions, int& examined) {
  struct Cursor {
    JobSet* jobs;
    JobSet::iterator next;
  };
  auto later = [](const Cursor& a, const Cursor& b) {
    return (*b.next)->job_id < (*a.next)->job_id;  // a min-heap on the next job's id
  };
  std::vector<Cursor> heap;
  if (RunnableShapes::Groups* groups = runnable_shapes_.Of(queue.arn)) {
    for (auto& [shape, jobs] : *groups) {
      if (!jobs.empty()) heap.push_back({&jobs, jobs.begin()});
    }
  }
  std::make_heap(heap.begin(), heap.end(), later);
  JobSet& arrays = ready_arrays_by_queue_[queue.arn];
  auto array_it = arrays.begin();
  std::set<RunnableShapes::Shape> array_shapes_waiting;
  while (!heap.empty() || array_it != arrays.end()) {
    if (examined >= options_.max_jobs_examined_per_pass || !CapacityLeftThisPass()) return;
    if (array_it != arrays.end() &&
        (heap.empty() || (*array_it)->job_id < (*heap.front().next)->job_id)) {
      Job& parent = **array_it;
      ++array_it;  // starting its last child takes the parent out of `arrays`
      RunnableShapes::Shape shape = RunnableShapes::ShapeOf(parent);
      if (array_shapes_waiting.count(shape) != 0) continue;  // an earlier array of it did not fit
      ++examined;
      if (!DispatchArrayChildren(parent, queue, decisions)) array_shapes_waiting.insert(shape);
      continue;
    }
    ++examined;
    std::pop_heap(heap.begin(), heap.end(), later);
    Cursor& cursor = heap.back();
    Job& job = **cursor.next;
    // Moved on before placing (which takes the job out of the group); the group outlives it.
    bool more = ++cursor.next != cursor.jobs->end();
    if (auto choice = FindPlacement(job.required, queue)) {
      Place(job, queue, *choice, decisions);
      if (more) {
        std::push_heap(heap.begin(), heap.end(), later);
      } else {
        heap.pop_back();
      }
      continue;
    }
    // The rest of the group cannot fit either; they still ask for capacity, as a whole, now.
    int rest = static_cast<int>(std::min<size_t>(cursor.jobs->size() - 1, INT_MAX));
    if (rest > 0 && (!scaling_.empty() || hosts_booting_ > 0)) {
      RequestCapacity(job.required, queue, std::min(rest, kMaxCapacityRequestsPerJob));
    }
    heap.pop_back();
  }
}

// Children are made only when there is room for them, so a large array waiting for capacity costs
// one record, not one per child.
bool BatchState::DispatchArrayChildren(Job& parent, const JobQueue& queue, Decisions& decisions) {
  while (parent.array_next_index < *parent.array_size && !parent.array_stopped) {
    auto choice =
        FindPlacement(parent.required, queue, *parent.array_size - parent.array_next_index);
    if (!choice) return false;
    Job& child = MaterializeChild(parent, parent.array_next_index++, JobStatus::kRunnable, "");
    MarkJobChanged(parent);
    Place(child, queue, *choice, decisions);
  }
  ready_arrays_by_queue_[parent.job_queue].erase(&parent);
  return true;
}

const std::vector<BatchState::PlacementTarget>& BatchState::PlacementTargetsOf(
    const JobQueue& queue) {
  auto [cached, inserted] = placement_targets_.try_emplace(&queue);
  if (!inserted) return cached->second;
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    cached->second.push_back({environment, &used_by_compute_environment_[environment->arn],
                              MaxMilliVcpus(*environment), &host_finder_.Of(environment->arn)});
  }
  return cached->second;
}

// The first compute environment of the queue, in order, with a host that has room now. When none
// has, the jobs wait, and `copies` of them ask for capacity where it can be added.
std::optional<BatchState::PlacementChoice> BatchState::FindPlacement(const Resources& required,
                                                                     const JobQueue& queue,
                                                                     int copies) {
  for (const PlacementTarget& target : PlacementTargetsOf(queue)) {
    if (target.used->millivcpus + required.millivcpus > target.max_millivcpus) continue;
    if (Host* host = host_finder_.FindHost(*target.hosts, required)) {
      return PlacementChoice{target.environment, host, target.used};
    }
  }
  if (!scaling_.empty() || hosts_booting_ > 0) {
    RequestCapacity(required, queue, std::min(copies, kMaxCapacityRequestsPerJob));
  }
  return std::nullopt;
}

void BatchState::Place(Job& job, const JobQueue& queue, const PlacementChoice& choice,
                       Decisions& decisions) {
  choice.host->used += job.required;
  jobs_by_host_[choice.host->instance_id].insert(&job);
  *choice.environment_used += job.required;
  if (!queue.scheduling_policy_arn.empty()) {
    FairShareOf(queue.arn)->OnAttemptStarted(job.share_identifier, job.required.millivcpus,
                                             clock_.NowMillis());
  }

  AttemptPlacement placement;
  placement.compute_environment_arn = choice.environment->arn;
  placement.instance_id = choice.host->instance_id;
  placement.reserved = job.required;
  placement.gpu_ids = TakeGpus(*choice.host, job.required.gpus);
  placement.remote = choice.host->remote;
  job.placement = placement;

  std::string task_id = RandomHex(random_, 32);
  AttemptContainer current;
  current.container_instance_arn = choice.host->container_instance_arn;
  current.task_arn = options_.scope.EcsTask(task_id);
  current.log_stream_name = DefinitionName(job.job_definition) + "/default/" + task_id;
  job.container.current = std::move(current);
  SetStatus(job, JobStatus::kStarting, "");
  decisions.starts.push_back({job.job_id});
}

std::string BatchState::ExplainWaiting(const Job& job) const {
  if (job.IsMultiNodeParent()) {  // a RUNNABLE multi-node job waits for its main node
    const Job* main = FindMainNode(job);
    if (main != nullptr) return ExplainWaiting(*main);
  }
  const JobQueue* queue = FindJobQueue(job.job_queue);
  if (queue == nullptr) return "Job queue was deleted";
  if (queue->state != "ENABLED") {
    return "Job queue " + queue->name + " is DISABLED: its jobs wait until it is ENABLED";
  }
  std::vector<const ComputeEnvironment*> usable;
  bool any_big_enough = false;
  for (const ComputeEnvironmentOrder& entry : queue->compute_environment_order) {
    const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment);
    if (!UsableForPlacement(environment)) continue;
    usable.push_back(environment);
    if (job.required.millivcpus <= MaxMilliVcpus(*environment)) any_big_enough = true;
  }
  if (usable.empty()) {
    return "No compute environment of job queue " + queue->name +
           " is ENABLED and VALID: the job waits until one is";
  }
  if (!any_big_enough) {
    return "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job "
           "queue cannot meet the CPU requirement of the job (needs " +
           job.required.ToString() + ").";
  }
  // What serves the queue: hosts of its compute environments and sizes the providers can launch.
  // Any of them may do: the one with the most vCPUs may have too little memory or no GPU.
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
  for (const auto& [id, host] : hosts_) {
    if (!serves_queue(host)) continue;
    any_capacity = true;
    if (host.total.millivcpus >= largest.millivcpus) largest = host.total;
    if (job.required.FitsIn(host.total)) fits_somewhere = true;
    if (host.accepting) free += host.Free();
    if (host.booting) launching = true;
  }
  std::string blocked;
  for (const ComputeEnvironment* environment : usable) {
    auto scaling = scaling_.find(environment->arn);
    if (scaling == scaling_.end()) continue;
    any_capacity = true;
    for (const Resources& size : scaling->second.instance_sizes) {
      if (size.millivcpus >= largest.millivcpus) largest = size;
    }
    if (scaling->second.AnySizeFits(job.required)) fits_somewhere = true;
    if (!scaling->second.blocked_reason.empty()) {
      blocked += " " + environment->name + ": " + scaling->second.blocked_reason;
    }
  }
  if (!any_capacity) {
    return "CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
           "; no instance serves the compute environments of job queue " + queue->name +
           " yet (an UNMANAGED compute environment gets capacity when an instance joins its ECS "
           "cluster).";
  }
  if (!fits_somewhere) {
    return "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
           "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job "
           "queue (needs " +
           job.required.ToString() + "; the largest host has " + largest.ToString() + ").";
  }
  std::string reason = "CAPACITY:WAITING_FOR_RESOURCES - The job needs " + job.required.ToString() +
                       "; free now: " + free.ToString() + ".";
  if (launching) reason += " Instances are launching.";
  reason += blocked;
  int ahead = RunnableJobsAhead(job, *queue);
  if (ahead > 0) {
    reason +=
        " " +
        (ahead >= kMaxCountedAhead ? "At least " + std::to_string(ahead) : std::to_string(ahead)) +
        " RUNNABLE job(s) of this or higher-priority queues come first.";
  }
  return reason;
}

// Jobs dispatched before `job`: RUNNABLE in queues of higher priority, or earlier in its own.
// Counting stops at kMaxCountedAhead so that describing a job stays cheap in a huge backlog.
int BatchState::RunnableJobsAhead(const Job& job, const JobQueue& queue) const {
  int ahead = 0;
  for (const auto& [name, other] : job_queues_) {
    if (other.state != "ENABLED") continue;
    bool own_queue = other.arn == queue.arn;
    if (!own_queue && other.priority <= queue.priority) continue;
    auto by_queue = jobs_by_queue_.find(other.arn);
    if (by_queue == jobs_by_queue_.end()) continue;
    auto runnable = by_queue->second.find(JobStatus::kRunnable);
    if (runnable == by_queue->second.end()) continue;
    for (const Job* other_job : runnable->second) {
      if (own_queue && other_job->job_id >= job.job_id) break;
      if (++ahead >= kMaxCountedAhead) return ahead;
    }
  }
  return ahead;
}

}  // namespace gleaner
