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
  std::vector<std::string> expired;
  for (const auto& [id, job] : jobs_) {
    // Children go with their parent, so an array is never half visible.
    if (job.IsArrayChild() || !IsTerminal(job.status) || !job.stopped_at) continue;
    if (*job.stopped_at + options_.job_retention_millis <= now) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    std::string prefix = id + ":";
    std::vector<std::string> children;
    for (auto it = jobs_.lower_bound(prefix);
         it != jobs_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      children.push_back(it->first);
    }
    for (const std::string& child : children) ForgetJob(child);
    ForgetJob(id);
  }
}

void BatchState::ForgetJob(const std::string& job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  const Job& job = it->second;
  auto by_queue = jobs_by_queue_.find(job.job_queue);
  if (by_queue != jobs_by_queue_.end()) by_queue->second[job.status].erase(job_id);
  array_counts_.erase(job_id);
  n_to_n_dependents_.erase(job_id);
  dependents_.erase(job_id);
  jobs_.erase(it);
  changes_.jobs.erase(job_id);
  changes_.deleted_jobs.insert(job_id);
}

}  // namespace gleaner
