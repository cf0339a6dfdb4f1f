// BatchState: submitting jobs, their attempts, dependencies, cancel and terminate.
#include <algorithm>
#include <csignal>

#include "model/ref_substitution.h"
#include "model/retry_strategy.h"
#include "scheduler/batch_state.h"
#include "scheduler/container_overrides.h"

namespace gleaner {
namespace {

constexpr char kEssentialContainerExited[] = "Essential container in task exited";

}  // namespace

Job* BatchState::MutableJob(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const Job* BatchState::FindJob(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

void BatchState::IndexJob(Job& job) {
  jobs_by_queue_[job.job_queue][job.status].insert(&job);
  if (job.status == JobStatus::kRunnable) dispatcher_.OnRunnable(job);
}

void BatchState::MoveInIndex(Job& job, JobStatus from) {
  auto& by_status = jobs_by_queue_[job.job_queue];
  by_status[from].erase(&job);
  by_status[job.status].insert(&job);
  if (from == JobStatus::kRunnable) dispatcher_.OnNoLongerRunnable(job);
  if (job.status == JobStatus::kRunnable) dispatcher_.OnRunnable(job);
}

void BatchState::SetStatus(Job& job, JobStatus status, std::string reason) {
  JobStatus from = job.status;
  job.status = status;
  job.status_reason = std::move(reason);
  if (from != status) {
    changes_.status_transitions.emplace_back(job.job_id, status);
    if (status == JobStatus::kRunnable) job.runnable_since = clock_.NowMillis();
    MoveInIndex(job, from);
    if (job.IsArrayChild()) {
      auto& counts = array_counts_[job.job_id.substr(0, job.job_id.rfind(':'))];
      counts[static_cast<size_t>(from)]--;
      counts[static_cast<size_t>(status)]++;
    }
    if (job.IsMainNode()) OnMainNodeStatusChanged(job);
  }
  MarkJobChanged(job);
}

const SharedValue<ContainerProperties>& BatchState::DefinitionContainer(
    const JobDefinition& definition) {
  auto [cached, inserted] = definition_containers_.try_emplace(definition.arn);
  if (inserted && definition.container_properties) {
    cached->second = *definition.container_properties;
  }
  return cached->second;
}

Result<Job> BatchState::BuildJob(const SubmitJobRequest& req, const JobQueue& queue,
                                 const JobDefinition& definition) {
  if (!definition.container_properties && definition.type != "multinode") {
    return Status::InvalidArgument("jobDefinition \"" + definition.arn +
                                   "\" has no containerProperties to run");
  }
  Job job;
  job.job_id = ids_.Next();
  job.job_name = req.job_name;
  job.job_queue = arns_.Intern(queue.arn);
  job.job_definition = arns_.Intern(definition.arn);
  job.created_at = clock_.NowMillis();
  job.share_identifier = req.share_identifier.value_or("");
  job.scheduling_priority = req.scheduling_priority_override ? req.scheduling_priority_override
                                                             : definition.scheduling_priority;
  job.parameters = definition.parameters;
  for (const auto& [name, value] : req.parameters) job.parameters[name] = value;
  job.retry_strategy = req.retry_strategy ? req.retry_strategy : definition.retry_strategy;
  job.timeout = req.timeout ? req.timeout : definition.timeout;
  job.depends_on = req.depends_on;
  job.tags = req.tags;
  job.propagate_tags = req.propagate_tags ? req.propagate_tags : definition.propagate_tags;
  job.platform_capabilities = definition.platform_capabilities;
  if (definition.type == "multinode") {
    Result<NodeProperties> nodes = ResolveNodeProperties(req, definition, job.parameters);
    if (!nodes.ok()) return nodes.status();
    job.node_properties = std::move(nodes).value();
    return job;  // the nodes run; the parent reserves nothing
  }
  SharedValue<ContainerProperties>& properties = job.container.properties;
  properties.ShareWith(DefinitionContainer(definition));
  if (req.container_overrides) ApplyOverrides(properties.Mutable(), *req.container_overrides);
  std::vector<std::string> command = SubstituteParameters(properties->command, job.parameters);
  if (command != properties->command) properties.Mutable().command = std::move(command);
  Result<Resources> required = RequiredResources(*properties);
  if (!required.ok()) return required.status();
  job.required = *required;
  return job;
}

// AWS refuses at SubmitJob what its queue cannot run: a Fargate job on EC2 capacity and the other
// way round, and a multi-node parallel job on Fargate (Fargate runs single containers).
Status BatchState::CheckPlatformFits(const JobQueue& queue, const JobDefinition& definition) const {
  const auto& capabilities = definition.platform_capabilities;
  bool fargate_job =
      std::find(capabilities.begin(), capabilities.end(), "FARGATE") != capabilities.end();
  std::optional<bool> fargate_queue;  // the queue's compute environments do not mix platforms
  for (const ComputeEnvironmentOrder& entry : queue.compute_environment_order) {
    if (const ComputeEnvironment* environment = FindComputeEnvironment(entry.compute_environment)) {
      fargate_queue = environment->IsFargate();
      break;
    }
  }
  if (!fargate_queue) return Status::Ok();
  std::string queue_platform = *fargate_queue ? "FARGATE" : "EC2";
  if (definition.type == "multinode" && *fargate_queue) {
    return Status::InvalidArgument("jobDefinition \"" + definition.arn +
                                   "\" is a multi-node parallel job, which job queue \"" +
                                   queue.name +
                                   "\" cannot run: its compute environments are FARGATE, and "
                                   "multi-node parallel jobs run on EC2 only");
  }
  if (fargate_job != *fargate_queue) {
    return Status::InvalidArgument(
        "jobDefinition \"" + definition.arn + "\" has platformCapabilities [" +
        (fargate_job ? "FARGATE" : "EC2") + "], which job queue \"" + queue.name +
        "\" cannot run: its compute environments are " + queue_platform +
        ". Submit it to a job queue of " + (fargate_job ? "FARGATE" : "EC2") +
        " compute environments, or register the definition with platformCapabilities [" +
        queue_platform + "]");
  }
  return Status::Ok();
}

Result<const Job*> BatchState::SubmitJob(const SubmitJobRequest& req) {
  const JobQueue* queue = FindJobQueue(req.job_queue);
  if (queue == nullptr) {
    return Status::InvalidArgument("jobQueue \"" + req.job_queue + "\" does not exist");
  }
  const JobDefinition* definition = FindJobDefinition(req.job_definition);
  if (definition == nullptr) {
    return Status::InvalidArgument("jobDefinition \"" + req.job_definition +
                                   "\" does not exist (or has no ACTIVE revision)");
  }
  if (definition->status != "ACTIVE") {
    return Status::InvalidArgument("jobDefinition \"" + definition->arn +
                                   "\" is INACTIVE: register a new revision");
  }
  bool fair_share = !queue->scheduling_policy_arn.empty();
  if (fair_share && !req.share_identifier) {
    return Status::InvalidArgument("shareIdentifier is required: job queue \"" + queue->name +
                                   "\" has a fair-share scheduling policy");
  }
  if (!fair_share && req.share_identifier) {
    return Status::InvalidArgument("shareIdentifier is invalid: job queue \"" + queue->name +
                                   "\" has no scheduling policy (FIFO)");
  }
  GLEANER_RETURN_IF_ERROR(CheckPlatformFits(*queue, *definition));
  GLEANER_RETURN_IF_ERROR(CheckMultiNodeRequest(req, *definition));
  GLEANER_RETURN_IF_ERROR(CheckArrayDependencies(req));
  for (size_t i = 0; i < req.depends_on.size(); ++i) {
    if (!req.depends_on[i].job_id.empty() && !StatusOf(req.depends_on[i].job_id)) {
      return Status::InvalidArgument("dependsOn[" + std::to_string(i) + "].jobId \"" +
                                     req.depends_on[i].job_id + "\" does not exist");
    }
  }
  Result<Job> built = BuildJob(req, *queue, *definition);
  if (!built.ok()) return built.status();
  Job& job = jobs_[built->job_id];
  job = std::move(built).value();
  job.array_size = req.array_size;
  job.status = JobStatus::kSubmitted;
  IndexJob(job);
  MarkJobChanged(job);
  changes_.status_transitions.emplace_back(job.job_id, JobStatus::kSubmitted);
  if (job.IsMultiNodeParent()) MakeNodes(job);
  if (job.IsArrayParent()) {
    // An array parent shows PENDING until its children are done.
    SetStatus(job, JobStatus::kPending, "");
    std::string source = NToNSource(job);
    if (!source.empty()) n_to_n_dependents_[source].push_back(job.job_id);
  }
  std::vector<std::string> failed;
  OnDependenciesSettled(job, failed);
  if (job.status == JobStatus::kPending && !job.array_released) {
    for (const JobDependency& dependency : job.depends_on) {
      if (IsGatingDependency(job, dependency)) dependents_[dependency.job_id].push_back(job.job_id);
    }
  }
  for (const std::string& id : failed) ReleaseDependentsOf(id);
  return &job;
}

bool BatchState::IsGatingDependency(const Job& job, const JobDependency& dependency) const {
  if (dependency.job_id.empty()) return false;  // SEQUENTIAL: the array's own order
  return !(job.IsArrayParent() && dependency.type == "N_TO_N");
}

// Moves a job whose dependencies may have finished: on to RUNNABLE (an array: its children may
// start), to FAILED when one failed (its id goes to `failed` so its own dependents follow), or it
// stays PENDING.
void BatchState::OnDependenciesSettled(Job& dependent, std::vector<std::string>& failed) {
  std::string failed_dependency;
  if (DependenciesSatisfied(dependent, &failed_dependency)) {
    if (dependent.IsArrayParent()) {
      ReleaseArray(dependent);
    } else if (dependent.IsMultiNodeParent()) {
      ReleaseMultiNodeJob(dependent);
    } else {
      SetStatus(dependent, JobStatus::kRunnable, "");
    }
    return;
  }
  if (failed_dependency.empty()) {
    if (dependent.status == JobStatus::kSubmitted) {
      SetStatus(dependent, JobStatus::kPending, "Waiting for dependencies to succeed");
    }
    return;
  }
  std::string reason = "Dependent Job failed: " + failed_dependency;
  if (dependent.IsArrayParent()) {
    StopArray(dependent, reason);
    MaybeCompleteArray(dependent);  // settles its own dependents
    return;
  }
  SetStatus(dependent, JobStatus::kFailed, reason);
  dependent.stopped_at = clock_.NowMillis();
  if (dependent.IsArrayChild()) OnArrayChildFinished(dependent);
  if (dependent.IsMultiNodeParent()) StopNodes(dependent, reason);
  failed.push_back(dependent.job_id);
}

bool BatchState::DependenciesSatisfied(const Job& job, std::string* failed_dependency) const {
  bool all_succeeded = true;
  for (const JobDependency& dependency : job.depends_on) {
    if (!IsGatingDependency(job, dependency)) continue;
    std::optional<JobStatus> status = StatusOf(dependency.job_id);
    if (!status || *status == JobStatus::kFailed) {
      *failed_dependency = dependency.job_id;
      return false;
    }
    if (*status != JobStatus::kSucceeded) all_succeeded = false;
  }
  return all_succeeded;
}

void BatchState::FailWithoutRunning(Job& job, const std::string& reason) {
  SetStatus(job, JobStatus::kFailed, reason);
  job.stopped_at = clock_.NowMillis();
  OnJobFinished(job);
}

void BatchState::OnJobFinished(const Job& job) {
  if (job.IsArrayChild()) OnArrayChildFinished(job);
  ReleaseDependentsOf(job.job_id);
}

// A finished job releases (or fails) the jobs waiting on it; failure spreads transitively. A
// worklist rather than recursion, so a long chain cannot overflow the stack.
void BatchState::ReleaseDependentsOf(const std::string& finished_id) {
  std::vector<std::string> worklist{finished_id};
  while (!worklist.empty()) {
    std::string id = std::move(worklist.back());
    worklist.pop_back();
    auto waiting = dependents_.find(id);
    if (waiting == dependents_.end()) continue;
    std::vector<std::string> dependents = std::move(waiting->second);
    dependents_.erase(waiting);
    for (const std::string& dependent_id : dependents) {
      Job* dependent = MutableJob(dependent_id);
      if (dependent == nullptr || dependent->status != JobStatus::kPending ||
          dependent->array_released) {
        continue;
      }
      OnDependenciesSettled(*dependent, worklist);
    }
  }
}

void BatchState::ReleasePlacement(Job& job) {
  if (!job.placement) return;
  const AttemptPlacement& placement = *job.placement;
  dispatcher_.hosts().Release(placement);
  auto on_host = jobs_by_host_.find(placement.instance_id);
  if (on_host != jobs_by_host_.end()) {
    on_host->second.erase(&job);
    if (on_host->second.empty()) jobs_by_host_.erase(on_host);
  }
  // What Place() told the tracker: FinishRestore() zeroes `reserved` (no host holds it), yet the
  // restored tracker counts the attempt as running until it is told it ended.
  if (FairShareTracker* tracker = FairShareOf(job.job_queue)) {
    tracker->OnAttemptEnded(job.share_identifier, job.required.millivcpus, clock_.NowMillis());
  }
  ClearAttemptTimer(job.job_id);
  job.placement.reset();
}

AttemptCost BatchState::CostOfAttempt(const AttemptPlacement& placement, const Resources& required,
                                      const std::string& status_reason, bool succeeded,
                                      EpochMillis now) const {
  AttemptCost cost;
  cost.instance_id = placement.instance_id;
  cost.compute_environment_arn = placement.compute_environment_arn;
  cost.from = placement.placed_at != 0 ? placement.placed_at : placement.started_at;
  if (cost.from == 0 || cost.from > now) cost.from = now;
  cost.to = now;
  // A restart that found the attempt's host gone forgot its reservation (FinishRestore): what one
  // attempt of the job reserves is the same.
  cost.reserved = placement.reserved == Resources{} ? required : placement.reserved;
  if (succeeded) {
    cost.outcome = AttemptEnding::kSucceeded;
  } else if (!placement.interruption_reason.empty() &&
             status_reason == placement.interruption_reason) {
    cost.outcome = AttemptEnding::kInterrupted;
  } else if (placement.termination_requested) {
    cost.outcome = AttemptEnding::kTerminated;
  } else {
    cost.outcome = AttemptEnding::kFailed;
  }
  if (options_.pricing != nullptr) {
    AttemptCharge charge = options_.pricing->ChargeAttempt(placement.instance_id, placement.remote,
                                                           cost.reserved, cost.from, cost.to);
    cost.lifecycle = charge.lifecycle;
    cost.instance_type = std::move(charge.instance_type);
    cost.split_ratio = charge.split_ratio;
    cost.usd = charge.usd;
    cost.on_demand_usd = charge.on_demand_usd;
  }
  return cost;
}

PreemptionBudget BatchState::PreemptionBudgetOf(const Job& job) const {
  auto tagged = [](const TagMap& tags) -> std::optional<PreemptionBudget> {
    auto found = tags.find(kPreemptionRetriesTag);
    return found == tags.end() ? std::nullopt : ParsePreemptionBudget(found->second);
  };
  if (std::optional<PreemptionBudget> own = tagged(job.tags)) return *own;
  const JobDefinition* definition = FindJobDefinition(job.job_definition.str());
  if (definition != nullptr) {
    if (std::optional<PreemptionBudget> defined = tagged(definition->tags)) return *defined;
  }
  const JobQueue* queue = FindJobQueue(job.job_queue.str());
  if (queue != nullptr) {
    if (std::optional<PreemptionBudget> queued = tagged(queue->tags)) return *queued;
  }
  return options_.default_preemption;
}

std::optional<std::string> BatchState::PreemptionEnds(const Job& job,
                                                      const PreemptionBudget& budget,
                                                      const std::string& status_reason,
                                                      const AttemptContainer& container) const {
  // A rule of the retry strategy that exits on this interruption is the user wanting it to end
  // the job ("unless the user wants them to").
  if (EvaluateRetry(job.retry_strategy, 0,
                    {status_reason, container.reason, container.exit_code}) == RetryAction::kExit) {
    return status_reason;
  }
  if (budget.retries && PreemptedAttempts(job) > *budget.retries) {
    return status_reason + " (" + std::to_string(*budget.retries) +
           " preemption retries, all spent)";
  }
  return std::nullopt;
}

void BatchState::EndAttempt(Job& job, const AttemptContainer& container,
                            const std::string& status_reason, bool retryable) {
  EpochMillis now = clock_.NowMillis();
  AttemptDetail attempt;
  attempt.container = container;
  attempt.started_at =
      job.placement && job.placement->started_at != 0 ? job.placement->started_at : now;
  attempt.stopped_at = now;
  attempt.status_reason = status_reason;
  bool succeeded = container.exit_code && *container.exit_code == 0 && retryable;
  if (job.placement)
    attempt.cost = CostOfAttempt(*job.placement, job.required, status_reason, succeeded, now);
  job.attempts.push_back(std::move(attempt));
  job.container.current = container;
  ReleasePlacement(job);
  if (job.IsMultiNodeNode() && !job.IsMainNode() && RequeueStaleNode(job, retryable)) return;
  int preempted = PreemptedAttempts(job);
  PreemptionBudget budget = preempted > 0 ? PreemptionBudgetOf(job) : PreemptionBudget{};
  // Under a budget of their own, interruptions are not attempts the retry strategy counts.
  int attempts_counted =
      static_cast<int>(job.attempts.size()) - (budget.counts_as_attempts ? 0 : preempted);
  bool interrupted = job.attempts.back().cost.outcome == AttemptEnding::kInterrupted;
  if (succeeded) {
    SetStatus(job, JobStatus::kSucceeded, status_reason);
  } else if (retryable && interrupted && !budget.counts_as_attempts) {
    std::optional<std::string> ends = PreemptionEnds(job, budget, status_reason, container);
    if (!ends) {
      SetStatus(job, JobStatus::kRunnable, "");
      return;
    }
    SetStatus(job, JobStatus::kFailed, *ends);
  } else if (retryable && EvaluateRetry(job.retry_strategy, attempts_counted,
                                        {status_reason, container.reason, container.exit_code}) ==
                              RetryAction::kRetry) {
    SetStatus(job, JobStatus::kRunnable, "");
    return;
  } else {
    SetStatus(job, JobStatus::kFailed, status_reason);
  }
  job.stopped_at = now;
  OnJobFinished(job);
}

void BatchState::OnAttemptLaunched(const std::string& job_id, int64_t pid,
                                   int64_t process_start_ticks) {
  Job* job = MutableJob(job_id);
  if (job == nullptr || !job->placement || job->status != JobStatus::kStarting) return;
  EpochMillis now = clock_.NowMillis();
  job->placement->pid = pid;
  job->placement->process_start_ticks = process_start_ticks;
  job->placement->started_at = now;
  job->started_at = now;
  if (job->timeout && job->timeout->attempt_duration_seconds &&
      !job->placement->termination_requested) {
    // AWS counts the timeout from the attempt's start; every attempt gets a fresh one.
    SetAttemptTimer(job_id, now + int64_t{*job->timeout->attempt_duration_seconds} * 1000);
  }
  SetStatus(*job, JobStatus::kRunning, "");
}

void BatchState::OnAttemptLaunchProgress(const std::string& job_id, int attempt,
                                         const std::string& reason) {
  Job* job = MutableJob(job_id);
  if (job == nullptr || job->status != JobStatus::kStarting || job->AttemptNumber() != attempt ||
      job->status_reason == reason) {
    return;
  }
  SetStatus(*job, JobStatus::kStarting, reason);
}

int BatchState::SignalDueAtLaunch(const std::string& job_id) const {
  const Job* job = FindJob(job_id);
  if (job == nullptr || !job->placement) return 0;
  bool interrupted = !job->placement->interruption_reason.empty();
  // A host that is gone already takes its processes with it, whatever else was asked.
  if (interrupted && FindHost(job->placement->instance_id) == nullptr) return SIGKILL;
  return interrupted || job->placement->termination_requested ? SIGTERM : 0;
}

void BatchState::OnAttemptLaunchFailed(const std::string& job_id, const std::string& reason) {
  Job* job = MutableJob(job_id);
  if (job == nullptr || !job->placement) return;
  AttemptContainer container = *job->container.current;
  container.exit_code.reset();
  container.reason = reason;
  // Terminated while its launch was in flight: the launch's failure ends the job, as its exit
  // would.
  if (job->placement->termination_requested) {
    std::string termination_reason = job->placement->termination_reason;
    EndAttempt(*job, container, termination_reason, /*retryable=*/false);
    return;
  }
  EndAttempt(*job, container, reason, /*retryable=*/true);
}

void BatchState::OnAttemptExited(const std::string& job_id, int exit_code, int term_signal,
                                 const std::string& exit_reason) {
  Job* job = MutableJob(job_id);
  if (job == nullptr || !job->placement) return;
  AttemptContainer container = *job->container.current;
  container.exit_code = exit_code;
  container.reason.clear();
  if (job->placement->termination_requested) {
    std::string reason = job->placement->termination_reason;
    container.reason = reason;
    EndAttempt(*job, container, reason, /*retryable=*/false);
    return;
  }
  if (!exit_reason.empty()) {
    container.reason = exit_reason;
  } else if (term_signal != 0) {
    container.reason = "Container killed by signal " + std::to_string(term_signal);
  }
  // After an interruption notice, only a clean exit counts as the job's own: anything else is the
  // interruption's doing, and the retry strategy sees it as such.
  bool clean_exit = exit_code == 0 && term_signal == 0;
  if (!job->placement->interruption_reason.empty() && !clean_exit) {
    std::string reason = job->placement->interruption_reason;
    EndAttempt(*job, container, reason, /*retryable=*/true);
    return;
  }
  std::string status_reason = exit_reason.empty() ? kEssentialContainerExited : exit_reason;
  EndAttempt(*job, container, exit_code == 0 && exit_reason.empty() ? "" : status_reason,
             /*retryable=*/true);
}

// CancelJob / TerminateJob on an id that names no job that can be stopped on its own: nothing
// to do for an unknown id, as on AWS; refused for an array child not made yet.
Status BatchState::NoJobToStop(const std::string& job_id) const {
  if (StatusOf(job_id)) {  // an array child not made yet: it exists only as its parent's counters
    return Status::InvalidArgument(
        "jobId \"" + job_id +
        "\" is an array child that has not started yet: stopping a single such child is not "
        "supported yet; cancel or terminate its array job, or this child once it is RUNNABLE");
  }
  return Status::Ok();  // AWS answers 200 {} for an id that names no job
}

Status BatchState::CancelJob(const StopJobRequest& req) {
  Job* job = MutableJob(req.job_id);
  if (job == nullptr) return NoJobToStop(req.job_id);
  if (job->IsArrayParent()) {
    if (!IsTerminal(job->status)) StopArrayChildren(*job, req.reason, /*terminate=*/false);
    return Status::Ok();
  }
  if (Job* parent = MultiNodeParentOf(*job)) {
    StopMultiNodeJob(*parent, req.reason, /*terminate=*/false);
    return Status::Ok();
  }
  // AWS: cancelling a job that has started (or ended) succeeds and does nothing.
  if (job->status == JobStatus::kSubmitted || job->status == JobStatus::kPending ||
      job->status == JobStatus::kRunnable) {
    FailWithoutRunning(*job, req.reason);
  }
  return Status::Ok();
}

Status BatchState::TerminateJob(const StopJobRequest& req) {
  Job* job = MutableJob(req.job_id);
  if (job == nullptr) return NoJobToStop(req.job_id);
  if (Job* parent = MultiNodeParentOf(*job)) {
    StopMultiNodeJob(*parent, req.reason, /*terminate=*/true);
    return Status::Ok();
  }
  if (IsTerminal(job->status)) return Status::Ok();
  if (job->IsArrayParent()) {
    StopArrayChildren(*job, req.reason, /*terminate=*/true);
    return Status::Ok();
  }
  if (!job->placement) {
    FailWithoutRunning(*job, req.reason);
    return Status::Ok();
  }
  RequestTermination(*job, req.reason);
  return Status::Ok();
}

void BatchState::RequestTermination(Job& job, const std::string& reason) {
  AttemptPlacement& placement = *job.placement;
  if (placement.termination_requested) return;
  placement.termination_requested = true;
  placement.termination_reason = reason;
  pending_.signals.push_back({job.job_id, SIGTERM});
  SetAttemptTimer(job.job_id, clock_.NowMillis() + options_.stop_grace_millis);
  MarkJobChanged(job);
}

}  // namespace gleaner
