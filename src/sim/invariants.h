#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "scheduler/batch_state.h"
#include "sim/fake_store.h"

namespace gleaner::sim {

// What must hold of BatchState whatever the workload does. Each check returns the first violation
// found, naming the jobs, hosts or compute environments involved, or nullopt.
//
// The checker follows the state through its StateChanges, as the store does, so that a step costs
// time in proportion to what it changed and what runs; CheckEverything() looks at every job (and
// at the store) and catches a change that TakeChanges() failed to report.
class InvariantChecker {
 public:
  // `remote_slack_millis`: how much later than a local one an attempt on an agent's host may end
  // past its deadlines: the server learns of its exit only from the agent's reports, and of an
  // agent it cannot reach only once it declares it lost.
  explicit InvariantChecker(int64_t stop_grace_millis, int64_t remote_slack_millis = 0)
      : stop_grace_millis_(stop_grace_millis), remote_slack_millis_(remote_slack_millis) {}

  // Right after Schedule(), before the attempts are launched: every start is on an ENABLED
  // compute environment of its ENABLED queue, on an accepting host, within the host's and the
  // compute environment's capacity, with every dependency SUCCEEDED and attempts left.
  std::optional<std::string> CheckStarts(const BatchState& state, const Decisions& decisions);
  // After a step, given what it changed: terminal jobs stay terminal, statuses move forward,
  // STARTING/RUNNING <=> placed, attempts within the retry strategy, array counts consistent,
  // host reservations add up and never exceed a host, attempts end by their timeout or
  // termination deadline.
  std::optional<std::string> CheckStep(const BatchState& state, const StateChanges& changes,
                                       EpochMillis now);
  // Every job, changed or not, and the store: what TakeChanges() reported is all that changed, and
  // every record in the store is what memory holds.
  std::optional<std::string> CheckEverything(const BatchState& state, const FakeStore& store);
  // Once nothing runs and nothing is due: every job SUCCEEDED or FAILED, every host empty.
  std::optional<std::string> CheckQuiet(const BatchState& state);

  bool anything_placed() const { return !placed_.empty(); }
  const std::set<std::string>& placed() const { return placed_; }
  // Every job BatchState holds, as the changes reported them.
  const std::map<std::string, JobStatus>& statuses() const { return statuses_; }
  int64_t purged() const { return static_cast<int64_t>(purged_.size()); }
  // Jobs purged, with their status then.
  const std::map<std::string, JobStatus>& purged_jobs() const { return purged_; }
  // A checker that starts on a restarted server learns what an earlier one saw purged (what a
  // dependency's status was, now that it is gone).
  void RememberPurged(const std::string& job_id, JobStatus status) { purged_[job_id] = status; }

 private:
  std::optional<std::string> CheckJob(const BatchState& state, const Job& job);
  std::optional<std::string> CheckArray(const BatchState& state, const std::string& parent_id);
  std::optional<std::string> CheckNotForgotten(const BatchState& state, const Job& job) const;
  std::optional<std::string> CheckWaitingReason(const BatchState& state, const Job& job) const;
  std::optional<std::string> CheckHosts(const BatchState& state, EpochMillis now);
  // A dependency that holds `job` back and has not SUCCEEDED, if any.
  std::optional<std::string> UnmetDependency(const BatchState& state, const Job& job) const;
  std::optional<JobStatus> StatusOf(const BatchState& state, const std::string& job_id) const;

  int64_t stop_grace_millis_;
  int64_t remote_slack_millis_;
  std::map<std::string, JobStatus> statuses_;        // last status seen, by job id
  std::set<std::string> reached_runnable_;           // non-parents seen RUNNABLE or later
  std::map<std::string, size_t> terminal_attempts_;  // attempts of terminal jobs
  std::set<std::string> placed_;
  std::set<std::string> started_this_step_;
  std::map<std::string, EpochMillis> termination_deadline_;  // by job id
  std::map<std::string, JobStatus> purged_;                  // status when purged
};

}  // namespace gleaner::sim
