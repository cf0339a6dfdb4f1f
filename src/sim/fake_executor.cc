#include "sim/fake_executor.h"

namespace gleaner::sim {

std::optional<std::string> FakeExecutor::CarryOut(BatchState& state, const Decisions& decisions) {
  for (const StartAttempt& start : decisions.starts) {
    if (std::optional<int64_t> running = processes_.PidOf(start.job_id)) {
      return "job " + start.job_id + " was started again while the process " +
             std::to_string(*running) + " of its previous attempt still runs";
    }
    Launch(state, start.job_id);
  }
  for (const SignalAttempt& signal : decisions.signals) {
    const Job* job = state.FindJob(signal.job_id);
    // As the engine: only a launched attempt has a process group to signal.
    if (job == nullptr || !job->placement || job->placement->pid <= 0) continue;
    processes_.Signal(job->placement->pid, signal.signal);
  }
  return std::nullopt;
}

void FakeExecutor::Launch(BatchState& state, const std::string& job_id) {
  const Job* job = state.FindJob(job_id);
  if (job == nullptr || !job->placement) return;
  SimProcesses::Started started = processes_.Start(job_id, job->AttemptNumber());
  if (started.pid == 0) return state.OnAttemptLaunchFailed(job_id, started.failure);
  state.OnAttemptLaunched(job_id, started.pid, /*process_start_ticks=*/started.pid * 7);
}

bool FakeExecutor::ReportDueExit(BatchState& state) {
  std::optional<SimProcesses::Exit> exit = processes_.TakeDueExit();
  if (!exit) return false;
  state.OnAttemptExited(exit->job_id, exit->exit_code, exit->term_signal);
  return true;
}

}  // namespace gleaner::sim
