#include "sim/invariants.h"

#include <climits>
#include <vector>

#include "model/json_codec.h"

namespace gleaner::sim {
namespace {

std::string Name(JobStatus status) { return std::string(ToString(status)); }

std::string ParentOf(const std::string& child_id) {
  return child_id.substr(0, child_id.rfind(':'));
}

int AttemptLimit(const Job& job) {
  return job.retry_strategy && job.retry_strategy->attempts ? *job.retry_strategy->attempts : 1;
}

// The checker's own reading of maxvCpus (not BatchState's), in millivcpus.
int64_t CapacityOf(const ComputeEnvironment& environment) {
  if (environment.compute_resources) {
    return int64_t{environment.compute_resources->maxv_cpus} * 1000;
  }
  if (environment.unmanagedv_cpus && *environment.unmanagedv_cpus > 0) {
    return int64_t{*environment.unmanagedv_cpus} * 1000;
  }
  return INT64_MAX;
}

bool AnyNegative(const Resources& resources) {
  return resources.millivcpus < 0 || resources.memory_mib < 0 || resources.gpus < 0;
}

// Where two JSON documents first differ, as a JSON pointer with both values.
std::string FirstDifference(const std::string& stored, const nlohmann::json& live) {
  nlohmann::json parsed = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "the stored record is not JSON";
  nlohmann::json patch = nlohmann::json::diff(parsed, live);
  if (patch.empty()) return "formatting only";
  const nlohmann::json& first = patch.front();
  std::string path = first.value("path", "");
  nlohmann::json::json_pointer pointer(path);
  std::string before = parsed.contains(pointer) ? parsed.at(pointer).dump() : "absent";
  std::string after = live.contains(pointer) ? live.at(pointer).dump() : "absent";
  return path + " (store: " + before.substr(0, 200) + ", memory: " + after.substr(0, 200) + ")";
}

template <typename T>
std::optional<std::string> CompareRecords(const char* kind, const std::vector<T>& live,
                                          const FakeStore::Records& stored,
                                          std::string (*key_of)(const T&)) {
  if (live.size() != stored.size()) {
    return std::string("memory holds ") + std::to_string(live.size()) + " " + kind +
           "(s) but the store " + std::to_string(stored.size());
  }
  for (const T& value : live) {
    std::string key = key_of(value);
    auto record = stored.find(key);
    if (record == stored.end()) {
      return std::string("the store has no record of ") + kind + " " + key;
    }
    nlohmann::json json = ToRecord(value);
    if (json.dump() != record->second) {
      return std::string("the store's record of ") + kind + " " + key + " differs from memory at " +
             FirstDifference(record->second, json);
    }
  }
  return std::nullopt;
}

template <typename T>
std::vector<T> Values(const std::vector<const T*>& pointers) {
  std::vector<T> values;
  for (const T* pointer : pointers) values.push_back(*pointer);
  return values;
}

std::optional<std::string> CompareCatalog(const BatchState& state, const FakeStore& store) {
  std::string next;
  PageRequest all{100'000, ""};
  auto environments = state.DescribeComputeEnvironments({{}, all}, &next);
  auto queues = state.DescribeJobQueues({{}, all}, &next);
  DescribeJobDefinitionsRequest definitions_request;
  definitions_request.page = all;
  auto definitions = state.DescribeJobDefinitions(definitions_request, &next);
  auto policies = state.ListSchedulingPolicies(all, &next);
  if (!environments.ok() || !queues.ok() || !definitions.ok() || !policies.ok()) {
    return "listing the catalog failed";
  }
  if (auto error = CompareRecords<ComputeEnvironment>(
          "compute environment", Values(*environments), store.compute_environments(),
          [](const ComputeEnvironment& value) { return value.name; })) {
    return error;
  }
  if (auto error = CompareRecords<JobQueue>("job queue", Values(*queues), store.job_queues(),
                                            [](const JobQueue& value) { return value.name; })) {
    return error;
  }
  if (auto error =
          CompareRecords<JobDefinition>("job definition", Values(*definitions),
                                        store.job_definitions(), [](const JobDefinition& value) {
                                          return value.name + ":" + std::to_string(value.revision);
                                        })) {
    return error;
  }
  return CompareRecords<SchedulingPolicy>("scheduling policy", Values(*policies),
                                          store.scheduling_policies(),
                                          [](const SchedulingPolicy& value) { return value.name; });
}

}  // namespace

std::optional<JobStatus> InvariantChecker::StatusOf(const BatchState& state,
                                                    const std::string& job_id) const {
  if (std::optional<JobStatus> status = state.StatusOf(job_id)) return status;
  // Purged after the retention period (maybe in this very step, so that only the checker's last
  // view knows it): as it was then; a child that was never made, as its parent.
  for (const std::string& id : {job_id, ParentOf(job_id)}) {
    if (auto known = statuses_.find(id); known != statuses_.end()) return known->second;
    if (auto purged = purged_.find(id); purged != purged_.end()) return purged->second;
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::UnmetDependency(const BatchState& state,
                                                             const Job& job) const {
  auto unmet = [&](const JobDependency& dependency) -> std::optional<std::string> {
    if (dependency.job_id.empty()) return std::nullopt;
    std::optional<JobStatus> status = StatusOf(state, dependency.job_id);
    if (status == JobStatus::kSucceeded) return std::nullopt;
    return dependency.job_id + " (" + (status ? Name(*status) : "unknown") + ")";
  };
  for (const JobDependency& dependency : job.depends_on) {
    if (job.IsArrayParent() && dependency.type == "N_TO_N") continue;  // holds single children
    if (auto found = unmet(dependency)) return found;
  }
  if (job.IsArrayChild()) {
    // The parent's own dependencies hold back every child.
    if (const Job* parent = state.FindJob(ParentOf(job.job_id))) {
      for (const JobDependency& dependency : parent->depends_on) {
        if (dependency.type == "N_TO_N") continue;
        if (auto found = unmet(dependency)) return found;
      }
    }
  }
  return std::nullopt;
}

// A PENDING job waits for its dependencies; once all of them have finished it must have moved
// on (to RUNNABLE, or FAILED with the dependency that failed). Checked on every job now and then,
// so a lost wake-up shows long before the end of the run.
std::optional<std::string> InvariantChecker::CheckNotForgotten(const BatchState& state,
                                                               const Job& job) const {
  if (job.status != JobStatus::kPending || job.array_released) return std::nullopt;
  std::vector<JobDependency> gating;
  for (const JobDependency& dependency : job.depends_on) {
    if (!(job.IsArrayParent() && dependency.type == "N_TO_N")) gating.push_back(dependency);
  }
  if (job.IsArrayChild()) {
    if (const Job* parent = state.FindJob(ParentOf(job.job_id))) {
      for (const JobDependency& dependency : parent->depends_on) {
        if (dependency.type != "N_TO_N") gating.push_back(dependency);
      }
    }
  }
  std::string finished;
  for (const JobDependency& dependency : gating) {
    if (dependency.job_id.empty()) continue;
    std::optional<JobStatus> status = StatusOf(state, dependency.job_id);
    if (status && !IsTerminal(*status)) return std::nullopt;
    if (finished.empty()) {
      finished = dependency.job_id + " " + (status ? Name(*status) : std::string("unknown"));
    }
  }
  if (finished.empty()) return std::nullopt;  // waits for nothing named: SEQUENTIAL order
  return "job " + job.job_id + " is still PENDING although every dependency has finished (" +
         finished + (gating.size() > 1 ? ", ..." : "") + "): nothing will wake it";
}

// A RUNNABLE job that some host and some usable compute environment of its queue can hold waits
// for capacity: calling it MISCONFIGURATION misleads the user, and a jobStateTimeLimitAction on
// that reason would cancel a job that can run.
std::optional<std::string> InvariantChecker::CheckWaitingReason(const BatchState& state,
                                                                const Job& job) const {
  if (job.status != JobStatus::kRunnable) return std::nullopt;
  const JobQueue* queue = state.FindJobQueue(job.job_queue);
  if (queue == nullptr || queue->state != ResourceState::kEnabled) return std::nullopt;
  // A compute environment of the queue that can hold the job, with a host serving it that can
  // (local capacity serves every compute environment; a cloud instance only its own).
  bool fits = false;
  for (const ComputeEnvironmentOrder& entry : queue->compute_environment_order) {
    const ComputeEnvironment* environment = state.FindComputeEnvironment(entry.compute_environment);
    if (environment == nullptr || environment->state != ResourceState::kEnabled ||
        environment->status != ResourceStatus::kValid ||
        job.required.millivcpus > CapacityOf(*environment)) {
      continue;
    }
    for (const auto& [instance_id, host] : state.hosts()) {
      fits = fits ||
             (host.accepting && host.Serves(environment->arn) && job.required.FitsIn(host.total));
    }
  }
  if (!fits) return std::nullopt;
  std::string reason = state.ExplainWaiting(job);
  if (reason.rfind("MISCONFIGURATION", 0) != 0) return std::nullopt;
  return "job " + job.job_id + " needs " + job.required.ToString() +
         ", which a host and a compute environment of its queue can hold, but is said to wait " +
         "because: " + reason;
}

std::optional<std::string> InvariantChecker::CheckStarts(const BatchState& state,
                                                         const Decisions& decisions) {
  for (const StartAttempt& start : decisions.starts) started_this_step_.insert(start.job_id);
  // What each compute environment holds now, the new starts included.
  std::map<std::string, int64_t> used_by_environment;
  auto count = [&](const std::string& id) {
    const Job* job = state.FindJob(id);
    if (job != nullptr && job->placement) {
      used_by_environment[job->placement->compute_environment_arn] +=
          job->placement->reserved.millivcpus;
    }
  };
  for (const std::string& id : placed_) {
    if (started_this_step_.count(id) == 0) count(id);
  }
  for (const std::string& id : started_this_step_) count(id);

  for (const StartAttempt& start : decisions.starts) {
    const std::string& id = start.job_id;
    const Job* job = state.FindJob(id);
    if (job == nullptr) return "Schedule() started job " + id + ", which does not exist";
    if (job->status != JobStatus::kStarting || !job->placement) {
      return "Schedule() started job " + id + " but it is " + Name(job->status) +
             (job->placement ? "" : " without a placement");
    }
    const AttemptPlacement& placement = *job->placement;
    const JobQueue* queue = state.FindJobQueue(job->job_queue);
    if (queue == nullptr || queue->state != ResourceState::kEnabled) {
      return "job " + id + " was started from job queue " + job->job_queue.str() +
             (queue == nullptr ? ", which does not exist"
                               : ", which is " + std::string(ToString(queue->state)));
    }
    const ComputeEnvironment* environment =
        state.FindComputeEnvironment(placement.compute_environment_arn);
    if (environment == nullptr || environment->state != ResourceState::kEnabled ||
        environment->status != ResourceStatus::kValid) {
      return "job " + id + " was placed on compute environment " +
             placement.compute_environment_arn +
             (environment == nullptr ? ", which does not exist"
                                     : ", which is " + std::string(ToString(environment->state)) +
                                           "/" + std::string(ToString(environment->status)));
    }
    bool in_order = false;
    for (const ComputeEnvironmentOrder& entry : queue->compute_environment_order) {
      in_order = in_order || entry.compute_environment == environment->arn;
    }
    if (!in_order) {
      return "job " + id + " was placed on compute environment " + environment->name +
             ", which is not in the computeEnvironmentOrder of job queue " + queue->name;
    }
    auto host = state.hosts().find(placement.instance_id);
    if (host == state.hosts().end() || !host->second.accepting) {
      return "job " + id + " was placed on host " + placement.instance_id +
             (host == state.hosts().end() ? ", which does not exist" : ", which is draining");
    }
    if (!host->second.used.FitsIn(host->second.total) || AnyNegative(host->second.used)) {
      return "host " + placement.instance_id + " is over-committed after starting job " + id +
             ": " + host->second.used.ToString() + " reserved of " + host->second.total.ToString();
    }
    int64_t used = used_by_environment[environment->arn];
    if (used > CapacityOf(*environment)) {
      return "compute environment " + environment->name + " is over-committed after starting " +
             "job " + id + ": its jobs hold " + std::to_string(used) + " millivcpus, maxvCpus " +
             std::to_string(CapacityOf(*environment) / 1000);
    }
    if (std::optional<std::string> dependency = UnmetDependency(state, *job)) {
      return "job " + id + " was started before its dependency " + *dependency + " SUCCEEDED";
    }
    if (static_cast<int>(job->attempts.size()) >= AttemptLimit(*job)) {
      return "job " + id + " was started for attempt " + std::to_string(job->attempts.size() + 1) +
             " but its retry strategy allows " + std::to_string(AttemptLimit(*job));
    }
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::CheckJob(const BatchState& state, const Job& job) {
  (void)state;
  bool should_be_placed = job.status == JobStatus::kStarting || job.status == JobStatus::kRunning;
  if (should_be_placed != job.placement.has_value()) {
    return "job " + job.job_id + " is " + Name(job.status) +
           (job.placement ? " but holds a placement on " + job.placement->instance_id
                          : " but has no placement");
  }
  int limit = AttemptLimit(job);
  int made = static_cast<int>(job.attempts.size()) + (job.placement ? 1 : 0);
  if (made > limit) {
    return "job " + job.job_id + " has made " + std::to_string(made) +
           " attempt(s) but its retry strategy allows " + std::to_string(limit);
  }
  if (IsTerminal(job.status) && !job.stopped_at) {
    return "job " + job.job_id + " is " + Name(job.status) + " without a stoppedAt";
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::CheckArray(const BatchState& state,
                                                        const std::string& parent_id) {
  const Job* parent = state.FindJob(parent_id);
  if (parent == nullptr || !parent->IsArrayParent()) return std::nullopt;
  int size = *parent->array_size;
  std::map<std::string, int> summary = state.ArrayStatusSummary(*parent);
  std::map<std::string, int> actual;
  int total = 0;
  for (const auto& [status, count] : summary) {
    total += count;
    actual[status] = 0;
  }
  if (total != size) {
    return "array " + parent_id + ": statusSummary adds up to " + std::to_string(total) +
           ", not its size " + std::to_string(size);
  }
  std::string running_child;
  std::string unsucceeded_child;
  for (int index = 0; index < size; ++index) {
    std::string child_id = parent_id + ":" + std::to_string(index);
    std::optional<JobStatus> status = state.StatusOf(child_id);
    if (!status) return "array " + parent_id + " has no child " + child_id;
    actual[Name(*status)]++;
    if (!IsTerminal(*status) && running_child.empty()) running_child = child_id;
    if (*status != JobStatus::kSucceeded && unsucceeded_child.empty()) {
      unsucceeded_child = child_id + " (" + Name(*status) + ")";
    }
  }
  if (actual != summary) {
    std::string text;
    for (const auto& [status, count] : summary) {
      if (count != actual[status]) {
        text +=
            " " + status + " " + std::to_string(count) + " vs " + std::to_string(actual[status]);
      }
    }
    return "array " + parent_id + ": statusSummary disagrees with its children (summary vs " +
           "children):" + text;
  }
  if (IsTerminal(parent->status) && !running_child.empty()) {
    return "array " + parent_id + " is " + Name(parent->status) + " while its child " +
           running_child + " is not finished";
  }
  if (parent->status == JobStatus::kSucceeded && !unsucceeded_child.empty()) {
    return "array " + parent_id + " SUCCEEDED although its child " + unsucceeded_child + " did not";
  }
  if (!IsTerminal(parent->status) && running_child.empty()) {
    return "every child of array " + parent_id + " has finished but the array is still " +
           Name(parent->status);
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::CheckStep(const BatchState& state,
                                                       const StateChanges& changes,
                                                       EpochMillis now) {
  started_this_step_.clear();
  std::set<std::string> arrays;
  for (const auto& [id, attempts] : changes.deleted_jobs) {
    auto known = statuses_.find(id);
    if (known == statuses_.end()) return "job " + id + " was purged but was never reported";
    if (!IsTerminal(known->second) || placed_.count(id) != 0) {
      return "job " + id + " was purged while " + Name(known->second);
    }
    purged_[id] = known->second;
    statuses_.erase(known);
    reached_runnable_.erase(id);
    terminal_attempts_.erase(id);
  }
  for (const std::string& id : changes.jobs) {
    const Job* job = state.FindJob(id);
    if (job == nullptr) return "the changes name job " + id + ", which BatchState does not hold";
    if (purged_.count(id) != 0) return "job " + id + " came back after it was purged";
    auto known = statuses_.find(id);
    if (known != statuses_.end() && IsTerminal(known->second)) {
      if (job->status != known->second) {
        return "job " + id + " was " + Name(known->second) + " and is now " + Name(job->status) +
               ": a finished job must stay finished";
      }
      if (job->attempts.size() != terminal_attempts_[id]) {
        return "job " + id + " gained an attempt after it finished";
      }
    }
    if (!job->IsArrayParent()) {
      bool back = job->status == JobStatus::kSubmitted || job->status == JobStatus::kPending;
      if (back && reached_runnable_.count(id) != 0) {
        return "job " + id + " went back to " + Name(job->status) + " after it was RUNNABLE";
      }
      if (!back) reached_runnable_.insert(id);
    }
    statuses_[id] = job->status;
    if (IsTerminal(job->status)) terminal_attempts_.emplace(id, job->attempts.size());
    if (job->placement) {
      placed_.insert(id);
      // The grace runs from the launch when the termination came before it (the process gets
      // SIGTERM as it starts, and the full grace).
      if (job->placement->termination_requested && job->placement->pid > 0) {
        termination_deadline_.emplace(id, now + stop_grace_millis_);
      }
    } else {
      placed_.erase(id);
      termination_deadline_.erase(id);
    }
    if (auto error = CheckJob(state, *job)) return error;
    if (job->IsArrayChild()) arrays.insert(ParentOf(id));
    if (job->IsArrayParent()) arrays.insert(id);
  }
  for (const std::string& parent_id : arrays) {
    if (auto error = CheckArray(state, parent_id)) return error;
  }
  return CheckHosts(state, now);
}

std::optional<std::string> InvariantChecker::CheckHosts(const BatchState& state, EpochMillis now) {
  std::map<std::string, Resources> reserved_on;
  for (const std::string& id : placed_) {
    const Job* job = state.FindJob(id);
    if (job == nullptr || !job->placement) {
      return "job " + id + " lost its placement without the change being reported";
    }
    const AttemptPlacement& placement = *job->placement;
    if (state.FindHost(placement.instance_id) != nullptr) {
      reserved_on[placement.instance_id] += placement.reserved;
    } else if (placement.interruption_reason.empty() &&
               state.adrift_hosts().count(placement.instance_id) == 0) {
      // Only a host that was terminated or lost goes while attempts still hold it (they end
      // with its reason once their processes are reported gone), or an agent's host that a
      // restart left adrift (its agent registers again, or is declared lost).
      return "job " + id + " is placed on host " + placement.instance_id +
             ", which BatchState does not have, and was never told the host went";
    }
    int64_t slack = placement.remote ? remote_slack_millis_ : 0;
    auto deadline = termination_deadline_.find(id);
    // Once its termination is under way, its SIGKILL deadline rules (a restarted server gives a
    // SIGTERM it may have lost a fresh grace).
    if (job->timeout && job->timeout->attempt_duration_seconds && placement.started_at > 0 &&
        deadline == termination_deadline_.end()) {
      EpochMillis limit = placement.started_at +
                          int64_t{*job->timeout->attempt_duration_seconds} * 1000 +
                          stop_grace_millis_ + slack;
      if (now > limit) {
        return "job " + id + " has run " + std::to_string(now - placement.started_at) +
               " ms, past its timeout of " +
               std::to_string(*job->timeout->attempt_duration_seconds) + " s and the grace";
      }
    }
    if (deadline != termination_deadline_.end() && now > deadline->second + slack) {
      return "job " + id + " still runs " + std::to_string(now - deadline->second) +
             " ms after its SIGKILL deadline";
    }
  }
  for (const auto& [instance_id, host] : state.hosts()) {
    Resources reserved = reserved_on[instance_id];
    if (!(reserved == host.used)) {
      return "host " + instance_id + " counts " + host.used.ToString() +
             " used but its placed jobs reserve " + reserved.ToString();
    }
    if (!host.used.FitsIn(host.total) || AnyNegative(host.used)) {
      return "host " + instance_id + " is over-committed: " + host.used.ToString() +
             " reserved of " + host.total.ToString();
    }
  }
  return std::nullopt;
}

std::optional<std::string> InvariantChecker::CheckEverything(const BatchState& state,
                                                             const FakeStore& store) {
  if (state.job_count() != statuses_.size()) {
    return "BatchState holds " + std::to_string(state.job_count()) +
           " jobs but its changes reported " + std::to_string(statuses_.size());
  }
  if (store.jobs().size() != statuses_.size()) {
    return "the store holds " + std::to_string(store.jobs().size()) + " job records, memory " +
           std::to_string(statuses_.size()) + " jobs";
  }
  for (const auto& [id, status] : statuses_) {
    const Job* job = state.FindJob(id);
    if (job == nullptr) return "job " + id + " disappeared without being purged";
    if (job->status != status) {
      return "job " + id + " is " + Name(job->status) + " but the last change reported " +
             Name(status) + ": a change was not reported";
    }
    if (job->placement.has_value() != (placed_.count(id) != 0)) {
      return "job " + id + "'s placement changed without the change being reported";
    }
    if (auto error = CheckJob(state, *job)) return error;
    auto record = store.jobs().find(id);
    if (record == store.jobs().end()) return "the store has no record of job " + id;
    nlohmann::json live = ToRecord(*job);
    if (live.dump() != record->second) {
      return "the store's record of job " + id + " differs from memory at " +
             FirstDifference(record->second, live) + ": a change was not reported";
    }
    if (job->IsArrayParent()) {
      if (auto error = CheckArray(state, id)) return error;
    }
    if (auto error = CheckNotForgotten(state, *job)) return error;
    if (auto error = CheckWaitingReason(state, *job)) return error;
  }
  return CompareCatalog(state, store);
}

std::optional<std::string> InvariantChecker::CheckQuiet(const BatchState& state) {
  std::string first;
  int unfinished = 0;
  for (const auto& [id, status] : statuses_) {
    if (IsTerminal(status)) continue;
    if (unfinished++ > 0) continue;
    const Job* job = state.FindJob(id);
    std::string why = job == nullptr ? "" : job->status_reason;
    if (job != nullptr && status == JobStatus::kRunnable) why = state.ExplainWaiting(*job);
    first = "job " + id + " is still " + Name(status) + (why.empty() ? "" : " (" + why + ")");
  }
  if (unfinished > 0) {
    return first +
           (unfinished > 1 ? " (and " + std::to_string(unfinished - 1) + " more jobs)" : "") +
           ": not finished once the workload is quiet (nothing runs, no timer is due)";
  }
  if (!placed_.empty()) return "job " + *placed_.begin() + " still holds a placement when quiet";
  for (const auto& [instance_id, host] : state.hosts()) {
    if (!(host.used == Resources{})) {
      return "host " + instance_id + " still counts " + host.used.ToString() + " used when quiet";
    }
  }
  if (state.NextTimer()) return "a timer is still set when quiet";
  return std::nullopt;
}

}  // namespace gleaner::sim
