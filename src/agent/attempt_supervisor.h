#pragma once

// The agent's core: starts assigned attempts through the attempt shim, finds those of an earlier
// run again, delivers signals, ships logs and says what to report. Used by the core thread only.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/agent_inbox.h"
#include "agent/attempt_table.h"
#include "agent/work_directory.h"
#include "api/agent_protocol.h"
#include "runtime/launch_worker.h"
#include "runtime/launcher.h"

namespace gleaner {

class AgentConnection;

struct AttemptSupervisorOptions {
  std::string shim_executable;  // the gleaner binary, which has the `attempt-shim` subcommand
  // The agent's variables every attempt gets under its own (see InheritedEnvironment).
  std::vector<std::string> inherited_environment;
  // The launcher runs containers (MakeContainerLauncher): an assignment's container runs, on
  // threads of the supervisor's own, which hand their results to the core through the inbox.
  bool run_containers = false;
};

class AttemptSupervisor {
 public:
  // `inbox` receives what the supervisor's launch threads and the launcher's conclusions of
  // re-attached containers find; the core hands it back (OnLaunched, OnProgress, OnProcessExit).
  AttemptSupervisor(const WorkDirectory& work_directory, Launcher& launcher, AgentInbox& inbox,
                    AttemptSupervisorOptions options);
  ~AttemptSupervisor();

  // Takes up the attempts an earlier run left in the work directory: ended ones (exit file),
  // running ones (same pid and start time: re-attached) and lost ones (killed by SIGKILL).
  void Recover();
  // Starts an assignment, unless its attempt is already held. A command that cannot be run is
  // held as a launch failure.
  void Start(const AttemptAssignment& assignment);
  // To the attempt's process group; ignored unless the attempt is held and running.
  void Signal(const AttemptSignal& signal);
  // A container launch finished (started, or failed: held as a launch failure).
  void OnLaunched(AttemptLaunched launched);
  void OnProgress(const AttemptProgress& progress);
  // An exit reported by the launcher; returns whether it ended an attempt.
  bool OnProcessExit(const ProcessExit& exit);
  // Whether re-attached attempts are still alive; returns whether one ended.
  bool CheckReattached();

  // Ships the new bytes of every held attempt's log. A stream the server refuses is given up;
  // any other failure stops the round and is returned (kNotFound: register again).
  Status ShipLogs(AgentConnection& connection, const std::string& instance_id);

  std::vector<AttemptKey> HeldAttempts() const { return table_.Keys(); }
  AgentReport BuildReport(const std::string& instance_id) const;
  // Whether an attempt started or ended since the last report the server answered.
  bool ReportChanged() const;
  // The server answered `report` (built by BuildReport): forget acknowledged attempts and
  // deliver the reply's signals.
  void OnReportAnswered(const AgentReport& report, const AgentReportReply& reply);

 private:
  void StartProcess(const AttemptAssignment& assignment, HeldAttempt attempt);
  void StartContainer(const AttemptAssignment& assignment, HeldAttempt attempt);
  void EndAttempt(HeldAttempt& attempt, CommandOutcome outcome);
  void HoldLaunchFailure(HeldAttempt attempt, const std::string& reason);
  // The spec a container attempt was launched with, as far as re-attaching needs it.
  LaunchSpec AdoptionSpec(const AttemptRecord& record) const;

  const WorkDirectory& work_directory_;
  Launcher& launcher_;
  AgentInbox& inbox_;
  const AttemptSupervisorOptions options_;
  AttemptTable table_;
  std::vector<std::pair<AttemptKey, AttemptState>> last_reported_;
  // Exits that arrived before their launch's result (a container that failed at once).
  std::map<pid_t, ProcessExit> early_exits_;
  std::unique_ptr<LaunchWorker> launch_worker_;  // last: joined before the members it reaches
};

}  // namespace gleaner
