// BatchState: serving the dispatcher (starting the attempts it places), timers, and why a job
// waits.
#include <climits>
#include <csignal>

#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

std::string DefinitionName(const std::string& definition_arn) {
  std::string name_rev = ArnResourceName(definition_arn, "job-definition");
  return name_rev.substr(0, name_rev.rfind(':'));
}

constexpr char kAttemptTimedOut[] = "Job attempt duration exceeded timeout";

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

Decisions BatchState::Schedule() {
  Decisions decisions = std::move(pending_);
  pending_ = {};
  FireTimers(decisions);
  PurgeExpiredJobs();
  decisions.capacity_requests = dispatcher_.Run(dispatch_access_);
  // The attempts the pass started (DispatchAccess::StartAttempt).
  for (StartAttempt& start : pending_.starts) decisions.starts.push_back(std::move(start));
  pending_.starts.clear();
  return decisions;
}

DispatchResult BatchState::EvaluateDispatch(const Job& job) const {
  if (job.IsMultiNodeParent()) {  // a RUNNABLE multi-node job waits for its main node
    const Job* main = FindMainNode(job);
    if (main != nullptr) return EvaluateDispatch(*main);
  }
  return dispatcher_.Evaluate(job, dispatch_access_);
}

EpochMillis BatchState::DispatchAccess::NowMillis() const { return state_.clock_.NowMillis(); }

const std::map<std::string, JobQueue>& BatchState::DispatchAccess::job_queues() const {
  return state_.job_queues_;
}

const JobQueue* BatchState::DispatchAccess::FindJobQueue(const std::string& name_or_arn) const {
  return state_.FindJobQueue(name_or_arn);
}

const ComputeEnvironment* BatchState::DispatchAccess::FindComputeEnvironment(
    const std::string& name_or_arn) const {
  return state_.FindComputeEnvironment(name_or_arn);
}

const JobSet* BatchState::DispatchAccess::JobsIn(const std::string& queue_arn,
                                                 JobStatus status) const {
  auto by_queue = state_.jobs_by_queue_.find(queue_arn);
  if (by_queue == state_.jobs_by_queue_.end()) return nullptr;
  auto jobs = by_queue->second.find(status);
  return jobs == by_queue->second.end() ? nullptr : &jobs->second;
}

FairShareTracker* BatchState::DispatchAccess::FairShareOf(const std::string& queue_arn) {
  return state_.FairShareOf(queue_arn);
}

const FairShareTracker* BatchState::DispatchAccess::FindFairShare(
    const std::string& queue_arn) const {
  auto tracker = state_.fair_share_.find(queue_arn);
  return tracker == state_.fair_share_.end() ? nullptr : &tracker->second;
}

Job& BatchState::DispatchAccess::MakeNextArrayChild(Job& parent) {
  Job& child = state_.MaterializeChild(parent, parent.array_next_index++, JobStatus::kRunnable, "");
  state_.MarkJobChanged(parent);
  return child;
}

void BatchState::DispatchAccess::StartAttempt(Job& job, const JobQueue& queue,
                                              AttemptPlacement placement, const Host& host) {
  state_.jobs_by_host_[placement.instance_id].insert(&job);
  if (!queue.scheduling_policy_arn.empty()) {
    state_.FairShareOf(queue.arn)->OnAttemptStarted(job.share_identifier, job.required.millivcpus,
                                                    state_.clock_.NowMillis());
  }
  std::string task_id = RandomHex(state_.random_, 32);
  AttemptContainer current;
  current.container_instance_arn = host.container_instance_arn;
  current.task_arn = state_.options_.scope.EcsTask(task_id);
  current.log_stream_name = DefinitionName(job.job_definition) + "/default/" + task_id;
  placement.placed_at = state_.clock_.NowMillis();
  job.placement = std::move(placement);
  job.container.current = std::move(current);
  state_.SetStatus(job, JobStatus::kStarting, "");
  state_.pending_.starts.push_back({job.job_id});
}

}  // namespace gleaner
