// BatchState: purging finished jobs once their retention period is over.
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

constexpr int64_t kPurgeIntervalMillis = 60'000;

}  // namespace

void BatchState::PurgeExpiredJobs() {
  EpochMillis now = clock_.NowMillis();
  if (now < next_purge_at_) return;
  next_purge_at_ = now + kPurgeIntervalMillis;
  SaveFairShareUsage();
  ApplyTimeLimitActions();
  std::vector<std::string> expired;
  for (const auto& [id, job] : jobs_) {
    // Children and nodes go with their parent, so a job is never half visible.
    if (job.IsArrayChild() || job.IsMultiNodeNode() || !IsTerminal(job.status) || !job.stopped_at)
      continue;
    if (*job.stopped_at + options_.job_retention_millis <= now) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    std::vector<std::string> children;
    for (const std::string& prefix : {id + ":", id + "#"}) {
      for (auto it = jobs_.lower_bound(prefix);
           it != jobs_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        children.push_back(it->first);
      }
    }
    for (const std::string& child : children) ForgetJob(child);
    ForgetJob(id);
  }
}

// Cancels RUNNABLE jobs that waited too long for a reason a queue's jobStateTimeLimitActions name.
// Runs with the once-a-minute housekeeping, so a limit is applied within a minute of expiring.
void BatchState::ApplyTimeLimitActions() {
  EpochMillis now = clock_.NowMillis();
  std::vector<std::pair<std::string, std::string>> to_cancel;  // (job id, reason)
  for (const auto& [name, queue] : job_queues_) {
    if (queue.job_state_time_limit_actions.empty()) continue;
    auto by_queue = jobs_by_queue_.find(queue.arn);
    if (by_queue == jobs_by_queue_.end()) continue;
    for (const Job* runnable : by_queue->second[JobStatus::kRunnable]) {
      const Job& job = *runnable;
      const std::string& id = job.job_id;
      std::string waiting = job.status_reason.empty() ? ExplainWaiting(job) : job.status_reason;
      for (const JobStateTimeLimitAction& action : queue.job_state_time_limit_actions) {
        bool expired = now - job.runnable_since >= int64_t{action.max_time_seconds} * 1000;
        if (expired && waiting.rfind(action.reason, 0) == 0) {
          to_cancel.emplace_back(
              id, "Canceled by JobStateTimeLimit action due to reason: " + action.reason);
          break;
        }
      }
    }
  }
  for (const auto& [id, reason] : to_cancel) {
    Status ignored = CancelJob({id, reason});
    (void)ignored;
  }
}

void BatchState::ForgetJob(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  Job& job = it->second;
  auto by_queue = jobs_by_queue_.find(job.job_queue);
  if (by_queue != jobs_by_queue_.end()) by_queue->second[job.status].erase(&job);
  if (job.status == JobStatus::kRunnable) dispatcher_.OnNoLongerRunnable(job);
  dispatcher_.OnArrayNotReady(job);
  array_counts_.erase(job_id);
  n_to_n_dependents_.erase(job_id);
  dependents_.erase(job_id);
  for (const AttemptDetail& attempt : job.attempts) {
    if (!attempt.container.log_stream_name.empty()) {
      changes_.purged_log_streams.push_back(attempt.container.log_stream_name);
    }
  }
  // The current attempt's stream is also the last ended attempt's, unless it never ran.
  const std::string& current = job.container.current->log_stream_name;
  if (!current.empty() &&
      (job.attempts.empty() || job.attempts.back().container.log_stream_name != current)) {
    changes_.purged_log_streams.push_back(current);
  }
  int attempts_made = static_cast<int>(job.attempts.size());
  jobs_.erase(it);
  changes_.jobs.erase(job_id);
  changes_.deleted_jobs[job_id] = attempts_made;
}

}  // namespace gleaner
