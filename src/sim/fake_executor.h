#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "scheduler/batch_state.h"
#include "sim/sim_processes.h"
#include "sim/sim_random.h"

namespace gleaner::sim {

// Runs attempts the way the engine and the process launcher would, in virtual time: a launch may
// fail; a launched attempt "runs" for a random duration and exits with a random code; SIGTERM is
// honoured after a random delay or ignored until SIGKILL, which ends the process at once. Exits are
// reported to BatchState as the engine reports them (by pid, through OnAttemptExited).
class FakeExecutor {
 public:
  FakeExecutor(const Clock& clock, SimRandom& random, const Trace& trace)
      : processes_(clock, random, trace, /*first_pid=*/1000) {}

  // Engine::CarryOut: launches the starts (OnAttemptLaunched / OnAttemptLaunchFailed at once, as
  // the engine does), then delivers the signals to the processes of jobs that have one.
  // Returns a violation when an attempt is launched while an earlier process of the same job is
  // still running (one attempt on at most one instance).
  std::optional<std::string> CarryOut(BatchState& state, const Decisions& decisions);

  std::optional<EpochMillis> NextExit() const { return processes_.NextExit(); }
  // Reports one exit due by now; false when none is due.
  bool ReportDueExit(BatchState& state);
  // The server restarted: it killed the old process groups and nobody reports on them any more.
  void LoseAll() { processes_.LoseAll(); }

  size_t running() const { return processes_.running().size(); }
  int64_t launches() const { return processes_.launches(); }
  int64_t launch_failures() const { return processes_.launch_failures(); }

 private:
  void Launch(BatchState& state, const std::string& job_id);

  SimProcesses processes_;
};

}  // namespace gleaner::sim
