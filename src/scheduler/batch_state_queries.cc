// BatchState: Describe*/List* with AWS paging, tags, and handing out changes.
#include <algorithm>
#include <cctype>
#include <utility>

#include "common/ascii.h"
#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kDefaultListJobsPageSize = 1000;

// JOB_NAME: case-insensitive, a trailing '*' matches any suffix.
bool MatchesNameFilter(const std::string& pattern, const std::string& name) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix(pattern.data(), pattern.size() - 1);
    return name.size() >= prefix.size() &&
           EqualsIgnoringAsciiCase(prefix, name.substr(0, prefix.size()));
  }
  return EqualsIgnoringAsciiCase(pattern, name);
}

}  // namespace

Result<std::vector<const ComputeEnvironment*>> BatchState::DescribeComputeEnvironments(
    const DescribeComputeEnvironmentsRequest& req, std::string* next_token) const {
  std::vector<const ComputeEnvironment*> found;
  if (!req.compute_environments.empty()) {
    for (const std::string& reference : req.compute_environments) {
      if (const ComputeEnvironment* environment = FindComputeEnvironment(reference)) {
        found.push_back(environment);
      }
    }
    return found;
  }
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(kDefaultPageSize));
  for (auto it = compute_environments_.upper_bound(req.page.next_token);
       it != compute_environments_.end(); ++it) {
    if (found.size() == limit) {
      *next_token = found.back()->name;
      break;
    }
    found.push_back(&it->second);
  }
  return found;
}

Result<std::vector<const JobQueue*>> BatchState::DescribeJobQueues(
    const DescribeJobQueuesRequest& req, std::string* next_token) const {
  std::vector<const JobQueue*> found;
  if (!req.job_queues.empty()) {
    for (const std::string& reference : req.job_queues) {
      if (const JobQueue* queue = FindJobQueue(reference)) found.push_back(queue);
    }
    return found;
  }
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(kDefaultPageSize));
  for (auto it = job_queues_.upper_bound(req.page.next_token); it != job_queues_.end(); ++it) {
    if (found.size() == limit) {
      *next_token = found.back()->name;
      break;
    }
    found.push_back(&it->second);
  }
  return found;
}

Result<std::vector<const JobDefinition*>> BatchState::DescribeJobDefinitions(
    const DescribeJobDefinitionsRequest& req, std::string* next_token) const {
  std::vector<const JobDefinition*> found;
  if (!req.job_definitions.empty()) {
    for (const std::string& reference : req.job_definitions) {
      const JobDefinition* definition = FindJobDefinition(reference);
      if (definition != nullptr && (req.status.empty() || definition->status == req.status)) {
        found.push_back(definition);
      }
    }
    return found;
  }
  // The token is "name:revision" of the last definition returned; revisions are zero-padded so
  // that revision 10 sorts after 9. Resuming compares (name, revision) pairs, the listing's own
  // order: the token as one string would put "job1:1" and "job-b:1" before "job:1" (digits and
  // '-' sort before ':') and skip them.
  auto padded = [](int revision) {
    std::string text = std::to_string(revision);
    return std::string(10 - text.size(), '0') + text;
  };
  auto key_of = [&padded](const JobDefinition& definition) {
    return definition.name + ":" + padded(definition.revision);
  };
  size_t token_colon = req.page.next_token.rfind(':');
  std::pair<std::string, std::string> resume_after(
      req.page.next_token.substr(0, token_colon),
      token_colon == std::string::npos ? "" : req.page.next_token.substr(token_colon + 1));
  auto already_listed = [&](const JobDefinition& definition) {
    return !req.page.next_token.empty() &&
           std::make_pair(definition.name, padded(definition.revision)) <= resume_after;
  };
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(kDefaultPageSize));
  auto first = req.job_definition_name.empty() ? job_definitions_.begin()
                                               : job_definitions_.find(req.job_definition_name);
  for (auto name_it = first; name_it != job_definitions_.end(); ++name_it) {
    if (!req.job_definition_name.empty() && name_it->first != req.job_definition_name) break;
    for (const auto& [revision, definition] : name_it->second) {
      if (already_listed(definition)) continue;
      if (!req.status.empty() && definition.status != req.status) continue;
      if (found.size() == limit) {
        *next_token = key_of(*found.back());
        return found;
      }
      found.push_back(&definition);
    }
  }
  return found;
}

Result<std::vector<const SchedulingPolicy*>> BatchState::ListSchedulingPolicies(
    const PageRequest& page, std::string* next_token) const {
  std::vector<const SchedulingPolicy*> found;
  size_t limit = static_cast<size_t>(page.max_results.value_or(kDefaultPageSize));
  for (auto it = scheduling_policies_.upper_bound(page.next_token);
       it != scheduling_policies_.end(); ++it) {
    if (found.size() == limit) {
      *next_token = found.back()->name;
      break;
    }
    found.push_back(&it->second);
  }
  return found;
}

bool BatchState::MatchesListFilters(const Job& job,
                                    const std::vector<ListJobsFilter>& filters) const {
  for (const ListJobsFilter& filter : filters) {
    const std::string& value = filter.values.empty() ? std::string() : filter.values.front();
    if (filter.name == "JOB_NAME" && !MatchesNameFilter(value, job.job_name)) return false;
    if (filter.name == "JOB_DEFINITION") {
      const JobDefinition* definition = FindJobDefinition(value);
      bool by_name = value.find(':') == std::string::npos && !LooksLikeArn(value);
      std::string name_revision = ArnResourceName(job.job_definition.str(), "job-definition");
      std::string job_definition_name = name_revision.substr(0, name_revision.rfind(':'));
      if (by_name ? job_definition_name != value
                  : (definition == nullptr || definition->arn != job.job_definition)) {
        return false;
      }
    }
    if (filter.name == "BEFORE_CREATED_AT" && !(job.created_at < std::stoll(value))) return false;
    if (filter.name == "AFTER_CREATED_AT" && !(job.created_at > std::stoll(value))) return false;
    if (filter.name == "SHARE_IDENTIFIER" && job.share_identifier != value) return false;
  }
  return true;
}

Result<std::vector<const Job*>> BatchState::ListJobs(const ListJobsRequest& req,
                                                     std::string* next_token) const {
  std::vector<const Job*> found;
  if (!req.array_job_id.empty()) return found;  // see ListArrayChildren
  if (!req.multi_node_job_id.empty()) return ListMultiNodeJobs(req, next_token);
  const JobQueue* queue = FindJobQueue(req.job_queue);
  if (queue == nullptr) {
    return Status::InvalidArgument("jobQueue \"" + req.job_queue + "\" does not exist");
  }
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(kDefaultListJobsPageSize));
  auto keep = [&req, this](const Job& job) { return MatchesListFilters(job, req.filters); };
  auto collect = [&](auto begin, auto end) {
    for (auto it = begin; it != end; ++it) {
      const Job& job = **it;
      const std::string& id = job.job_id;
      if (!req.page.next_token.empty() && id >= req.page.next_token) continue;
      // Array children and multi-node nodes: ListJobs --array-job-id / --multi-node-job-id.
      if (id.find_first_of(":#") != std::string::npos) continue;
      if (!keep(job)) continue;
      if (found.size() == limit) {
        *next_token = found.back()->job_id;
        return;
      }
      found.push_back(&job);
    }
  };
  auto by_queue = jobs_by_queue_.find(queue->arn);
  if (by_queue == jobs_by_queue_.end()) return found;
  if (req.filters.empty()) {
    // Without filters AWS lists one status, RUNNING unless asked otherwise.
    auto ids = by_queue->second.find(req.job_status.value_or(JobStatus::kRunning));
    if (ids != by_queue->second.end()) collect(ids->second.rbegin(), ids->second.rend());
    return found;
  }
  // With a filter every status is listed: merge the per-status sets newest first.
  JobSet all;
  for (const auto& [status, jobs] : by_queue->second) all.insert(jobs.begin(), jobs.end());
  collect(all.rbegin(), all.rend());
  return found;
}

TagMap* BatchState::MutableTags(const std::string& arn, bool mark_changed) {
  StateChanges ignored;
  StateChanges& changes = mark_changed ? changes_ : ignored;
  if (!LooksLikeArn(arn)) return nullptr;
  if (!ArnResourceName(arn, "compute-environment").empty()) {
    const ComputeEnvironment* found = FindComputeEnvironment(arn);
    if (found == nullptr) return nullptr;
    changes.compute_environments.insert(found->name);
    return &compute_environments_[found->name].tags;
  }
  if (!ArnResourceName(arn, "job-queue").empty()) {
    const JobQueue* found = FindJobQueue(arn);
    if (found == nullptr) return nullptr;
    changes.job_queues.insert(found->name);
    return &job_queues_[found->name].tags;
  }
  if (!ArnResourceName(arn, "scheduling-policy").empty()) {
    const SchedulingPolicy* found = FindSchedulingPolicy(arn);
    if (found == nullptr) return nullptr;
    changes.scheduling_policies.insert(found->name);
    return &scheduling_policies_[found->name].tags;
  }
  if (!ArnResourceName(arn, "job-definition").empty()) {
    const JobDefinition* found = FindJobDefinition(arn);
    if (found == nullptr) return nullptr;
    changes.job_definitions.insert(found->name + ":" + std::to_string(found->revision));
    return &job_definitions_[found->name][found->revision].tags;
  }
  std::string job_id = ArnResourceName(arn, "job");
  Job* job = job_id.empty() ? nullptr : MutableJob(job_id);
  if (job == nullptr) return nullptr;
  changes.jobs.insert(job->job_id);
  return &job->tags;
}

Result<TagMap> BatchState::ListTags(const std::string& arn) {
  TagMap* tags = MutableTags(arn, /*mark_changed=*/false);
  if (tags == nullptr) {
    return Status::InvalidArgument("resourceArn \"" + arn + "\" is not an existing resource");
  }
  return *tags;
}

Status BatchState::TagResource(const std::string& arn, const TagMap& tags) {
  TagMap* existing = MutableTags(arn, /*mark_changed=*/true);
  if (existing == nullptr) {
    return Status::InvalidArgument("resourceArn \"" + arn + "\" is not an existing resource");
  }
  TagMap merged = *existing;
  for (const auto& [key, value] : tags) merged[key] = value;
  if (merged.size() > 50) {
    return Status::InvalidArgument("tags is invalid: a resource can have at most 50 tags");
  }
  *existing = std::move(merged);
  return Status::Ok();
}

Status BatchState::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  TagMap* existing = MutableTags(arn, /*mark_changed=*/true);
  if (existing == nullptr) {
    return Status::InvalidArgument("resourceArn \"" + arn + "\" is not an existing resource");
  }
  for (const std::string& key : keys) existing->erase(key);
  return Status::Ok();
}

StateChanges BatchState::TakeChanges() {
  // The saved usage goes out with the job records it counts: a restart then finds running in the
  // usage exactly the attempts its job records hold, and FinishRestore() ends both.
  SaveFairShareUsage();
  StateChanges taken = std::move(changes_);
  changes_ = {};
  return taken;
}

std::map<std::string, std::array<size_t, kJobStatusCount>> BatchState::JobCountsByQueue() const {
  std::map<std::string, std::array<size_t, kJobStatusCount>> counts;
  for (const auto& [queue_arn, by_status] : jobs_by_queue_) {
    std::array<size_t, kJobStatusCount>& queue = counts[queue_arn];
    queue.fill(0);
    for (const auto& [status, jobs] : by_status) queue[static_cast<size_t>(status)] = jobs.size();
  }
  return counts;
}

BatchState::QueueActivity BatchState::ActivityOf(const std::string& queue_arn) const {
  QueueActivity activity;
  auto queue = jobs_by_queue_.find(queue_arn);
  if (queue == jobs_by_queue_.end()) return activity;
  for (JobStatus status : {JobStatus::kStarting, JobStatus::kRunning}) {
    auto jobs = queue->second.find(status);
    if (jobs == queue->second.end()) continue;
    for (const Job* job : jobs->second) {
      if (job->placement) activity.reserved += job->placement->reserved;
    }
  }
  auto runnable = queue->second.find(JobStatus::kRunnable);
  if (runnable != queue->second.end() && !runnable->second.empty()) {
    activity.oldest_runnable = *runnable->second.begin();
  }
  return activity;
}

}  // namespace gleaner
