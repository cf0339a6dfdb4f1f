#include "sim/fake_executor.h"

#include <algorithm>
#include <csignal>

namespace gleaner::sim {
namespace {

// Reasons a real launch fails with; evaluateOnExit rules in the workload match some of them.
const std::vector<std::string> kLaunchFailures = {
    "CannotStartContainerError: image pull failed",
    "CannotStartContainerError: no space left on device",
    "ResourceInitializationError: cannot create log directory",
};

}  // namespace

std::optional<std::string> FakeExecutor::CarryOut(BatchState& state, const Decisions& decisions) {
  for (const StartAttempt& start : decisions.starts) {
    auto running = pid_of_job_.find(start.job_id);
    if (running != pid_of_job_.end()) {
      return "job " + start.job_id + " was started again while the process " +
             std::to_string(running->second) + " of its previous attempt still runs";
    }
    Launch(state, start.job_id);
  }
  for (const SignalAttempt& signal : decisions.signals) {
    const Job* job = state.FindJob(signal.job_id);
    // As the engine: only a launched attempt has a process group to signal.
    if (job == nullptr || !job->placement || job->placement->pid <= 0) continue;
    Signal(job->placement->pid, signal.signal);
  }
  return std::nullopt;
}

void FakeExecutor::Launch(BatchState& state, const std::string& job_id) {
  const Job* job = state.FindJob(job_id);
  if (job == nullptr || !job->placement) return;
  ++launches_;
  if (random_.Percent(4)) {
    ++launch_failures_;
    const std::string& reason = random_.Pick(kLaunchFailures);
    trace_.Line("launch of " + job_id + " fails: " + reason);
    state.OnAttemptLaunchFailed(job_id, reason);
    return;
  }
  int64_t pid = next_pid_++;
  Process& process = processes_[pid];
  process.job_id = job_id;
  process.ignores_sigterm = random_.Percent(25);
  process.sigterm_delay_millis = random_.Between(0, 45'000);  // sometimes beyond the grace
  pid_of_job_[job_id] = pid;
  int64_t duration = RandomDurationMillis();
  ScheduleExit(pid, process, clock_.NowMillis() + duration, RandomExitCode(), 0);
  trace_.Line("launch " + job_id + " as pid " + std::to_string(pid) + ", exits " +
              std::to_string(process.exit_code) + " after " + std::to_string(duration) + " ms");
  state.OnAttemptLaunched(job_id, pid, /*process_start_ticks=*/pid * 7);
}

void FakeExecutor::Signal(int64_t pid, int signal) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;  // already gone: the signal finds nobody
  Process& process = it->second;
  EpochMillis now = clock_.NowMillis();
  if (signal == SIGKILL) {
    trace_.Line("SIGKILL pid " + std::to_string(pid) + " (" + process.job_id + ")");
    ScheduleExit(pid, process, now, 128 + SIGKILL, SIGKILL);
    return;
  }
  if (signal != SIGTERM || process.terminating) return;
  process.terminating = true;
  if (process.ignores_sigterm) {
    trace_.Line("SIGTERM pid " + std::to_string(pid) + " (" + process.job_id + "): ignored");
    return;
  }
  EpochMillis at = now + process.sigterm_delay_millis;
  if (at >= process.exit_at) return;  // it ends on its own first
  // Some processes die of the signal, some catch it and exit with a code of their own.
  bool dies = random_.Percent(60);
  int exit_code = dies ? 128 + SIGTERM : (random_.Percent(50) ? 0 : 1);
  trace_.Line("SIGTERM pid " + std::to_string(pid) + " (" + process.job_id + "): exits " +
              std::to_string(exit_code) + " after " + std::to_string(process.sigterm_delay_millis) +
              " ms");
  ScheduleExit(pid, process, at, exit_code, dies ? SIGTERM : 0);
}

void FakeExecutor::ScheduleExit(int64_t pid, Process& process, EpochMillis at, int exit_code,
                                int term_signal) {
  exits_.erase({process.exit_at, pid});
  process.exit_at = at;
  process.exit_code = exit_code;
  process.term_signal = term_signal;
  exits_.insert({at, pid});
}

std::optional<EpochMillis> FakeExecutor::NextExit() const {
  if (exits_.empty()) return std::nullopt;
  return exits_.begin()->first;
}

bool FakeExecutor::ReportDueExit(BatchState& state) {
  if (exits_.empty() || exits_.begin()->first > clock_.NowMillis()) return false;
  int64_t pid = exits_.begin()->second;
  exits_.erase(exits_.begin());
  Process process = std::move(processes_.at(pid));
  processes_.erase(pid);
  pid_of_job_.erase(process.job_id);
  trace_.Line("pid " + std::to_string(pid) + " (" + process.job_id + ") exits " +
              std::to_string(process.exit_code) +
              (process.term_signal != 0 ? " on signal " + std::to_string(process.term_signal)
                                        : std::string()));
  state.OnAttemptExited(process.job_id, process.exit_code, process.term_signal);
  return true;
}

void FakeExecutor::LoseAll() {
  processes_.clear();
  pid_of_job_.clear();
  exits_.clear();
}

// Mostly short attempts, some long enough to meet the workload's timeouts.
int64_t FakeExecutor::RandomDurationMillis() {
  int64_t bucket = random_.Between(0, 99);
  if (bucket < 45) return random_.Between(1'000, 30'000);
  if (bucket < 85) return random_.Between(30'000, 300'000);
  return random_.Between(300'000, 1'200'000);
}

int FakeExecutor::RandomExitCode() {
  int64_t roll = random_.Between(0, 99);
  if (roll < 65) return 0;
  if (roll < 85) return 1;
  if (roll < 92) return 2;
  return 137;
}

}  // namespace gleaner::sim
