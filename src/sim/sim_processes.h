#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/clock.h"
#include "sim/sim_random.h"

namespace gleaner::sim {

// The processes of attempts, in virtual time: a launch may fail; a launched attempt "runs" for a
// random duration and exits with a random code; SIGTERM is honoured after a random delay or
// ignored until SIGKILL, which ends the process at once. Shared by the simulation's executor
// (BatchState alone) and its launcher (the real engine).
class SimProcesses {
 public:
  SimProcesses(const Clock& clock, SimRandom& random, const Trace& trace, int64_t first_pid)
      : clock_(clock), random_(random), trace_(trace), next_pid_(first_pid) {}

  struct Started {
    int64_t pid = 0;      // 0: the launch failed
    std::string failure;  // why, in the words of a real launch failure
  };
  // A new process for the job's attempt.
  Started Start(const std::string& job_id, int attempt);
  void Signal(int64_t pid, int signal);

  struct Exit {
    int64_t pid = 0;
    std::string job_id;
    int exit_code = 0;
    int term_signal = 0;
  };
  std::optional<EpochMillis> NextExit() const;
  // The exit due soonest, once it is due by now.
  std::optional<Exit> TakeDueExit();
  // Nobody reports on any process any more (a restarted server killed them).
  void LoseAll();

  struct Running {
    std::string job_id;
    int attempt = 0;
    bool killed = false;  // got SIGKILL: its exit is due now
  };
  const std::map<int64_t, Running>& running() const { return running_; }
  // The process the job has now, if any.
  std::optional<int64_t> PidOf(const std::string& job_id) const;

  int64_t launches() const { return launches_; }
  int64_t launch_failures() const { return launch_failures_; }

 private:
  struct Timeline {
    EpochMillis exit_at = 0;
    int exit_code = 0;
    int term_signal = 0;
    bool ignores_sigterm = false;
    int64_t sigterm_delay_millis = 0;
    bool terminating = false;
  };

  void ScheduleExit(int64_t pid, EpochMillis at, int exit_code, int term_signal);
  int64_t RandomDurationMillis();
  int RandomExitCode();

  const Clock& clock_;
  SimRandom& random_;
  const Trace& trace_;
  std::map<int64_t, Running> running_;    // by pid
  std::map<int64_t, Timeline> timeline_;  // by pid
  std::map<std::string, int64_t> pid_of_job_;
  std::set<std::pair<EpochMillis, int64_t>> exits_;  // (due, pid), soonest first
  int64_t next_pid_;
  int64_t launches_ = 0;
  int64_t launch_failures_ = 0;
};

}  // namespace gleaner::sim
