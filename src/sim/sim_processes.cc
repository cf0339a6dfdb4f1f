#include "sim/sim_processes.h"

#include <csignal>
#include <vector>

namespace gleaner::sim {
namespace {

// Reasons a real launch fails with; evaluateOnExit rules in the workload match some of them.
const std::vector<std::string> kLaunchFailures = {
    "CannotStartContainerError: image pull failed",
    "CannotStartContainerError: no space left on device",
    "ResourceInitializationError: cannot create log directory",
};

}  // namespace

SimProcesses::Started SimProcesses::Start(const std::string& job_id, int attempt) {
  ++launches_;
  if (random_.Percent(4)) {
    ++launch_failures_;
    const std::string& reason = random_.Pick(kLaunchFailures);
    trace_.Line("launch of " + job_id + " fails: " + reason);
    return {0, reason};
  }
  int64_t pid = next_pid_++;
  running_[pid] = {job_id, attempt, false};
  Timeline& timeline = timeline_[pid];
  timeline.ignores_sigterm = random_.Percent(25);
  timeline.sigterm_delay_millis = random_.Between(0, 45'000);  // sometimes beyond the grace
  pid_of_job_[job_id] = pid;
  int64_t duration = RandomDurationMillis();
  ScheduleExit(pid, clock_.NowMillis() + duration, RandomExitCode(), 0);
  trace_.Line("launch " + job_id + " attempt " + std::to_string(attempt) + " as pid " +
              std::to_string(pid) + ", exits " + std::to_string(timeline.exit_code) + " after " +
              std::to_string(duration) + " ms");
  return {pid, ""};
}

void SimProcesses::Signal(int64_t pid, int signal) {
  auto it = timeline_.find(pid);
  if (it == timeline_.end()) return;  // already gone: the signal finds nobody
  Timeline& timeline = it->second;
  Running& process = running_.at(pid);
  EpochMillis now = clock_.NowMillis();
  if (signal == SIGKILL) {
    trace_.Line("SIGKILL pid " + std::to_string(pid) + " (" + process.job_id + ")");
    process.killed = true;
    ScheduleExit(pid, now, 128 + SIGKILL, SIGKILL);
    return;
  }
  if (signal != SIGTERM || timeline.terminating) return;
  timeline.terminating = true;
  if (timeline.ignores_sigterm) {
    trace_.Line("SIGTERM pid " + std::to_string(pid) + " (" + process.job_id + "): ignored");
    return;
  }
  EpochMillis at = now + timeline.sigterm_delay_millis;
  if (at >= timeline.exit_at) return;  // it ends on its own first
  // Some processes die of the signal, some catch it and exit with a code of their own.
  bool dies = random_.Percent(60);
  int exit_code = dies ? 128 + SIGTERM : (random_.Percent(50) ? 0 : 1);
  trace_.Line("SIGTERM pid " + std::to_string(pid) + " (" + process.job_id + "): exits " +
              std::to_string(exit_code) + " after " +
              std::to_string(timeline.sigterm_delay_millis) + " ms");
  ScheduleExit(pid, at, exit_code, dies ? SIGTERM : 0);
}

void SimProcesses::ScheduleExit(int64_t pid, EpochMillis at, int exit_code, int term_signal) {
  Timeline& timeline = timeline_.at(pid);
  exits_.erase({timeline.exit_at, pid});
  timeline.exit_at = at;
  timeline.exit_code = exit_code;
  timeline.term_signal = term_signal;
  exits_.insert({at, pid});
}

std::optional<EpochMillis> SimProcesses::NextExit() const {
  if (exits_.empty()) return std::nullopt;
  return exits_.begin()->first;
}

std::optional<SimProcesses::Exit> SimProcesses::TakeDueExit() {
  if (exits_.empty() || exits_.begin()->first > clock_.NowMillis()) return std::nullopt;
  int64_t pid = exits_.begin()->second;
  exits_.erase(exits_.begin());
  Timeline timeline = timeline_.at(pid);
  Exit exit{pid, std::move(running_.at(pid).job_id), timeline.exit_code, timeline.term_signal};
  timeline_.erase(pid);
  running_.erase(pid);
  pid_of_job_.erase(exit.job_id);
  trace_.Line(
      "pid " + std::to_string(pid) + " (" + exit.job_id + ") exits " +
      std::to_string(exit.exit_code) +
      (exit.term_signal != 0 ? " on signal " + std::to_string(exit.term_signal) : std::string()));
  return exit;
}

void SimProcesses::LoseAll() {
  running_.clear();
  timeline_.clear();
  pid_of_job_.clear();
  exits_.clear();
}

std::optional<int64_t> SimProcesses::PidOf(const std::string& job_id) const {
  auto it = pid_of_job_.find(job_id);
  if (it == pid_of_job_.end()) return std::nullopt;
  return it->second;
}

// Mostly short attempts, some long enough to meet the workload's timeouts.
int64_t SimProcesses::RandomDurationMillis() {
  int64_t bucket = random_.Between(0, 99);
  if (bucket < 45) return random_.Between(1'000, 30'000);
  if (bucket < 85) return random_.Between(30'000, 300'000);
  return random_.Between(300'000, 1'200'000);
}

int SimProcesses::RandomExitCode() {
  int64_t roll = random_.Between(0, 99);
  if (roll < 65) return 0;
  if (roll < 85) return 1;
  if (roll < 92) return 2;
  return 137;
}

}  // namespace gleaner::sim
