#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "scheduler/batch_state.h"
#include "sim/sim_random.h"

namespace gleaner::sim {

// Runs attempts the way the engine and the process launcher would, in virtual time: a launch may
// fail; a launched attempt "runs" for a random duration and exits with a random code; SIGTERM is
// honoured after a random delay or ignored until SIGKILL, which ends the process at once. Exits are
// reported to BatchState as the engine reports them (by pid, through OnAttemptExited).
class FakeExecutor {
 public:
  FakeExecutor(const Clock& clock, SimRandom& random, const Trace& trace)
      : clock_(clock), random_(random), trace_(trace) {}

  // Engine::CarryOut: launches the starts (OnAttemptLaunched / OnAttemptLaunchFailed at once, as
  // the engine does), then delivers the signals to the processes of jobs that have one.
  // Returns a violation when an attempt is launched while an earlier process of the same job is
  // still running (one attempt on at most one instance).
  std::optional<std::string> CarryOut(BatchState& state, const Decisions& decisions);

  std::optional<EpochMillis> NextExit() const;
  // Reports one exit due by now; false when none is due.
  bool ReportDueExit(BatchState& state);
  // The server restarted: it killed the old process groups and nobody reports on them any more.
  void LoseAll();

  size_t running() const { return processes_.size(); }
  int64_t launches() const { return launches_; }
  int64_t launch_failures() const { return launch_failures_; }

 private:
  struct Process {
    std::string job_id;
    EpochMillis exit_at = 0;
    int exit_code = 0;
    int term_signal = 0;
    bool ignores_sigterm = false;
    int64_t sigterm_delay_millis = 0;
    bool terminating = false;
  };

  void Launch(BatchState& state, const std::string& job_id);
  void Signal(int64_t pid, int signal);
  void ScheduleExit(int64_t pid, Process& process, EpochMillis at, int exit_code, int term_signal);
  int64_t RandomDurationMillis();
  int RandomExitCode();

  const Clock& clock_;
  SimRandom& random_;
  const Trace& trace_;
  std::map<int64_t, Process> processes_;             // by pid
  std::map<std::string, int64_t> pid_of_job_;        // the process each job has now
  std::set<std::pair<EpochMillis, int64_t>> exits_;  // (due, pid), soonest first
  int64_t next_pid_ = 1000;
  int64_t launches_ = 0;
  int64_t launch_failures_ = 0;
};

}  // namespace gleaner::sim
