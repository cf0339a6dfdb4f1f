#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "runtime/launcher.h"
#include "sim/sim_processes.h"

namespace gleaner::sim {

// The real engine's launcher in virtual time (a Launcher set with no launch threads), over the
// simulation's processes (sim/sim_processes.h). The simulation hands their exits to
// Engine::OnProcessExit when they are due.
//
// Its pids start above Linux's largest possible pid (PID_MAX_LIMIT, 2^22), so that the real
// engine's clean-up of orphaned process groups after a restart can never reach a real process.
class SimLauncher final : public Launcher {
 public:
  SimLauncher(const Clock& clock, SimRandom& random, const Trace& trace)
      : processes_(clock, random, trace, /*first_pid=*/5'000'000) {}

  Result<LaunchedProcess> Launch(const LaunchSpec& spec) override;
  void SignalGroup(pid_t pgid, int signal) override { processes_.Signal(pgid, signal); }

  SimProcesses& processes() { return processes_; }
  // The first attempt launched while an earlier process of the same job still ran (one attempt
  // on at most one instance at a time), if any.
  const std::optional<std::string>& violation() const { return violation_; }
  // Every (job id, attempt number) that started: what a crash may not take back.
  const std::set<std::pair<std::string, int>>& launched() const { return launched_; }

 private:
  SimProcesses processes_;
  std::optional<std::string> violation_;
  std::set<std::pair<std::string, int>> launched_;
};

}  // namespace gleaner::sim
