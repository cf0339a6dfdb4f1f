// BatchState: array jobs. A parent stands for `size` children "<parent>:<i>" that are made (given a
// Job of their own) only as they become able to run, so a 10,000-child array is one record at
// submission. Until made, a child is "virtual": its status is derived from the parent.
#include <algorithm>

#include "scheduler/batch_state.h"

#include "common/check.h"

namespace gleaner {
namespace {

std::string ChildId(const std::string& parent_id, int index) {
  return parent_id + ":" + std::to_string(index);
}

// "<parent>:<i>" -> (parent, i); false for anything else.
bool SplitChildId(const std::string& id, std::string* parent_id, int* index) {
  auto colon = id.rfind(':');
  if (colon == std::string::npos || colon + 1 == id.size() || id.size() - colon > 10) return false;
  int value = 0;
  for (size_t i = colon + 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
    value = value * 10 + (id[i] - '0');
  }
  *parent_id = id.substr(0, colon);
  *index = value;
  return true;
}

}  // namespace

BatchState::ArrayMode BatchState::ModeOf(const Job& parent) const {
  for (const JobDependency& dependency : parent.depends_on) {
    if (dependency.type == "SEQUENTIAL" && dependency.job_id.empty()) return ArrayMode::kSequential;
    if (dependency.type == "N_TO_N" && !dependency.job_id.empty()) return ArrayMode::kNToN;
  }
  return ArrayMode::kAllAtOnce;
}

std::string BatchState::NToNSource(const Job& parent) const {
  for (const JobDependency& dependency : parent.depends_on) {
    if (dependency.type == "N_TO_N" && !dependency.job_id.empty()) return dependency.job_id;
  }
  return {};
}

Status BatchState::CheckArrayDependencies(const SubmitJobRequest& req) const {
  for (size_t i = 0; i < req.depends_on.size(); ++i) {
    const JobDependency& dependency = req.depends_on[i];
    std::string field = "dependsOn[" + std::to_string(i) + "]";
    if (!req.array_size) {  // a plain dependency, whatever its type (as on AWS)
      if (dependency.job_id.empty()) return Status::InvalidArgument(field + ".jobId is required");
      continue;
    }
    if (dependency.type == "SEQUENTIAL" && !dependency.job_id.empty()) {
      return Status::InvalidArgument(
          field + " SEQUENTIAL takes no jobId: it orders the array's own children");
    }
    if (dependency.job_id.empty() && dependency.type != "SEQUENTIAL") {
      return Status::InvalidArgument(field + ".jobId is required");
    }
    if (dependency.type == "N_TO_N" && req.array_size) {
      const Job* source = FindJob(dependency.job_id);
      if (source == nullptr || !source->IsArrayParent() || source->array_size != req.array_size) {
        return Status::InvalidArgument(field +
                                       " N_TO_N needs jobId to be an array job of the same size (" +
                                       std::to_string(*req.array_size) + ")");
      }
    }
  }
  return Status::Ok();
}

Job& BatchState::MaterializeChild(Job& parent, int index, JobStatus status, std::string reason) {
  std::string id = ChildId(parent.job_id, index);
  Job& child = jobs_[id];
  child = parent;
  child.job_id = id;
  child.array_index = index;
  child.depends_on.clear();
  switch (ModeOf(parent)) {
    case ArrayMode::kSequential:
      if (index > 0) child.depends_on.push_back({ChildId(parent.job_id, index - 1), "SEQUENTIAL"});
      break;
    case ArrayMode::kNToN:
      child.depends_on.push_back({ChildId(NToNSource(parent), index), "N_TO_N"});
      break;
    case ArrayMode::kAllAtOnce:
      break;
  }
  child.status = status;
  child.status_reason = std::move(reason);
  child.array_next_index = 0;
  child.array_released = false;
  child.array_stopped = false;
  child.array_stop_reason.clear();
  if (IsTerminal(status)) child.stopped_at = clock_.NowMillis();
  IndexJob(child);
  array_counts_[parent.job_id][static_cast<size_t>(status)]++;
  MarkJobChanged(child);
  return child;
}

void BatchState::ReleaseArray(Job& parent) {
  parent.array_released = true;
  MarkJobChanged(parent);
  switch (ModeOf(parent)) {
    case ArrayMode::kSequential:
      parent.array_next_index = 1;
      MaterializeChild(parent, 0, JobStatus::kRunnable, "");
      break;
    case ArrayMode::kNToN: {
      const Job* source = FindJob(NToNSource(parent));
      for (int i = 0; i < *parent.array_size; ++i) SettleNToNChild(parent, source, i);
      break;
    }
    case ArrayMode::kAllAtOnce:
      dispatcher_.OnArrayReady(parent);
      break;
  }
  MaybeCompleteArray(parent);
}

// Child i of an N_TO_N array may run once child i of its source succeeded, and fails if that
// failed.
void BatchState::SettleNToNChild(Job& parent, const Job* source, int index) {
  if (jobs_.count(ChildId(parent.job_id, index)) != 0 || parent.array_stopped) return;
  std::string source_child = source ? ChildId(source->job_id, index) : std::string();
  std::optional<JobStatus> status = source ? StatusOf(source_child) : JobStatus::kFailed;
  if (status == JobStatus::kSucceeded) {
    MaterializeChild(parent, index, JobStatus::kRunnable, "");
  } else if (status == JobStatus::kFailed) {
    Job& child = MaterializeChild(parent, index, JobStatus::kFailed,
                                  "Dependent Job failed: " + source_child);
    OnJobFinished(child);
  }
}

void BatchState::OnArrayChildFinished(const Job& child) {
  std::string parent_id;
  int index = 0;
  bool split = SplitChildId(child.job_id, &parent_id, &index);
  GLEANER_CHECK(split, "array child " + child.job_id + " has no <parent>:<index> id");
  Job* parent = MutableJob(parent_id);
  GLEANER_CHECK(parent != nullptr, "array child " + child.job_id + " outlived its parent");
  if (ModeOf(*parent) == ArrayMode::kSequential && !parent->array_stopped) {
    if (child.status == JobStatus::kSucceeded && parent->array_next_index < *parent->array_size) {
      MaterializeChild(*parent, parent->array_next_index++, JobStatus::kRunnable, "");
      MarkJobChanged(*parent);
    } else if (child.status == JobStatus::kFailed) {
      StopArray(*parent, "Dependent Job failed: " + child.job_id);
    }
  }
  auto followers = n_to_n_dependents_.find(parent_id);
  if (followers != n_to_n_dependents_.end()) {
    std::vector<std::string> follower_ids = followers->second;
    for (const std::string& follower_id : follower_ids) {
      Job* follower = MutableJob(follower_id);
      if (follower != nullptr && follower->array_released && !IsTerminal(follower->status)) {
        SettleNToNChild(*follower, parent, index);
        MaybeCompleteArray(*follower);
      }
    }
  }
  MaybeCompleteArray(*parent);
}

void BatchState::StopArray(Job& parent, const std::string& reason) {
  if (parent.array_stopped) return;
  parent.array_stopped = true;
  parent.array_stop_reason = reason;
  dispatcher_.OnArrayNotReady(parent);
  MarkJobChanged(parent);
  // Its children not made yet are FAILED from now on (StatusOf): the jobs waiting on them fail
  // now, not once the array's made children have finished, which may take indefinitely long.
  std::string prefix = parent.job_id + ":";
  std::vector<std::string> never_made;
  for (auto it = dependents_.lower_bound(prefix);
       it != dependents_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (jobs_.count(it->first) == 0) never_made.push_back(it->first);
  }
  for (const std::string& child_id : never_made) ReleaseDependentsOf(child_id);
}

void BatchState::MaybeCompleteArray(Job& parent) {
  if (IsTerminal(parent.status)) return;
  const std::array<int, kJobStatusCount>& counts = array_counts_[parent.job_id];
  int made = 0;
  for (int count : counts) made += count;
  int finished = counts[static_cast<size_t>(JobStatus::kSucceeded)] +
                 counts[static_cast<size_t>(JobStatus::kFailed)];
  int not_made = *parent.array_size - made;
  if (finished < made || (not_made > 0 && !parent.array_stopped)) return;
  bool failed = counts[static_cast<size_t>(JobStatus::kFailed)] > 0 || not_made > 0;
  std::string reason;
  if (failed) {
    reason = !parent.array_stop_reason.empty()
                 ? parent.array_stop_reason
                 : "Array child job(s) failed: " +
                       std::to_string(counts[static_cast<size_t>(JobStatus::kFailed)]) + " of " +
                       std::to_string(*parent.array_size);
  }
  SetStatus(parent, failed ? JobStatus::kFailed : JobStatus::kSucceeded, reason);
  parent.stopped_at = clock_.NowMillis();
  dispatcher_.OnArrayNotReady(parent);
  OnJobFinished(parent);
  // N_TO_N followers: each child whose source child succeeded was made when it did, so the ones
  // still not made wait on a source child that failed or will never be made (this array was
  // cancelled, or a SEQUENTIAL child failed): they can never run. Stop those arrays rather than
  // make every such child, so a large follower stays one record.
  auto followers = n_to_n_dependents_.find(parent.job_id);
  if (failed && followers != n_to_n_dependents_.end()) {
    std::vector<std::string> follower_ids = followers->second;
    for (const std::string& follower_id : follower_ids) {
      Job* follower = MutableJob(follower_id);
      if (follower == nullptr || !follower->array_released || IsTerminal(follower->status)) {
        continue;
      }
      int follower_made = 0;
      for (int count : array_counts_[follower_id]) follower_made += count;
      if (follower_made == *follower->array_size) continue;  // nothing left waiting
      StopArray(*follower, "Dependent Job failed: " + parent.job_id);
      MaybeCompleteArray(*follower);
    }
  }
  // Jobs waiting on a child that was never made (it failed with its parent) are settled too.
  std::string prefix = parent.job_id + ":";
  std::vector<std::string> waiting_on_children;
  for (auto it = dependents_.lower_bound(prefix);
       it != dependents_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    waiting_on_children.push_back(it->first);
  }
  for (const std::string& child_id : waiting_on_children) ReleaseDependentsOf(child_id);
}

void BatchState::StopArrayChildren(Job& parent, const std::string& reason, bool terminate) {
  StopArray(parent, reason);
  std::string prefix = parent.job_id + ":";
  std::vector<std::string> children;
  for (auto it = jobs_.lower_bound(prefix);
       it != jobs_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (!IsTerminal(it->second.status)) children.push_back(it->first);
  }
  for (const std::string& child_id : children) {
    Status ignored = terminate ? TerminateJob({child_id, reason}) : CancelJob({child_id, reason});
    (void)ignored;
  }
  MaybeCompleteArray(parent);
}

std::optional<JobStatus> BatchState::StatusOf(const std::string& job_id) const {
  if (const Job* job = FindJob(job_id)) return job->status;
  std::string parent_id;
  int index = 0;
  if (!SplitChildId(job_id, &parent_id, &index)) return std::nullopt;
  const Job* parent = FindJob(parent_id);
  if (parent == nullptr || !parent->IsArrayParent() || index >= *parent->array_size) {
    return std::nullopt;
  }
  if (IsTerminal(parent->status) || parent->array_stopped) return JobStatus::kFailed;
  if (parent->array_released && ModeOf(*parent) == ArrayMode::kAllAtOnce) {
    return JobStatus::kRunnable;
  }
  return JobStatus::kPending;
}

std::optional<Job> BatchState::VirtualArrayChild(const std::string& job_id) const {
  std::optional<JobStatus> status = StatusOf(job_id);
  if (!status || FindJob(job_id) != nullptr) return std::nullopt;
  std::string parent_id;
  int index = 0;
  SplitChildId(job_id, &parent_id, &index);
  Job child = *FindJob(parent_id);
  child.job_id = job_id;
  child.array_index = index;
  child.depends_on.clear();
  child.status = *status;
  child.status_reason =
      *status == JobStatus::kFailed
          ? (child.array_stop_reason.empty() ? child.status_reason : child.array_stop_reason)
          : "";
  return child;
}

std::map<std::string, int> BatchState::ArrayStatusSummary(const Job& parent) const {
  std::map<std::string, int> summary;
  for (int status = 0; status < kJobStatusCount; ++status) {
    summary[std::string(ToString(static_cast<JobStatus>(status)))] = 0;
  }
  auto counts = array_counts_.find(parent.job_id);
  int made = 0;
  if (counts != array_counts_.end()) {
    for (int status = 0; status < kJobStatusCount; ++status) {
      summary[std::string(ToString(static_cast<JobStatus>(status)))] += counts->second[status];
      made += counts->second[status];
    }
  }
  int not_made = *parent.array_size - made;
  if (not_made > 0) {
    // Every child not made yet has the same status (StatusOf's rule for virtual children). Not
    // the last child's status: N_TO_N children are made out of order, so it may be made already.
    JobStatus virtual_status = JobStatus::kPending;
    if (IsTerminal(parent.status) || parent.array_stopped) {
      virtual_status = JobStatus::kFailed;
    } else if (parent.array_released && ModeOf(parent) == ArrayMode::kAllAtOnce) {
      virtual_status = JobStatus::kRunnable;
    }
    summary[std::string(ToString(virtual_status))] += not_made;
  }
  return summary;
}

Result<std::vector<Job>> BatchState::ListArrayChildren(const ListJobsRequest& req,
                                                       std::string* next_token) const {
  const Job* parent = FindJob(req.array_job_id);
  std::vector<Job> found;
  if (parent == nullptr || !parent->IsArrayParent()) return found;
  // Children share their parent's name, definition, share and creation time: a filter keeps all
  // of them or none.
  if (!MatchesListFilters(*parent, req.filters)) return found;
  int start = 0;
  if (!req.page.next_token.empty()) {
    start = std::atoi(req.page.next_token.c_str());
  }
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(1000));
  JobStatus wanted = req.job_status.value_or(JobStatus::kRunning);
  for (int index = start; index < *parent->array_size; ++index) {
    std::string id = ChildId(parent->job_id, index);
    std::optional<JobStatus> status = StatusOf(id);
    if (req.filters.empty() && status != wanted) continue;
    if (found.size() == limit) {
      *next_token = std::to_string(index);
      break;
    }
    const Job* made = FindJob(id);
    found.push_back(made ? *made : *VirtualArrayChild(id));
  }
  return found;
}

}  // namespace gleaner
