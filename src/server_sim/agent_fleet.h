#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server_sim/sim_agent.h"

namespace gleaner {
class AgentHub;
class BatchState;
}  // namespace gleaner

namespace gleaner::sim {

// The agents of a run (sim_agent.h): they join the workload's UNMANAGED compute environments,
// and on the workload's ticks they restart, are cut off or lose their machines. The fleet steps
// them and checks, after every turn, what only it can see: where every job's processes really
// run, across the agents and the server's own launcher.
class AgentFleet {
 public:
  AgentFleet(const Clock& clock, SimRandom& random, const Trace& trace)
      : clock_(clock), random_(random), trace_(trace) {}

  // A tick of the workload: an agent may join, restart, be cut off or lose its machine.
  void Tick(const BatchState& state);
  // The server they talk to (a new one after a crash; nullptr while it is down).
  void Connect(AgentHub* hub);
  void Step();
  // The soonest time an agent has something to do beyond its heartbeat.
  std::optional<EpochMillis> NextBusyAt() const;
  // Whether some job is placed on an agent's host: the hub's deadlines (declaring a silent agent
  // lost) then matter to the run.
  bool AnyAttemptPlaced(const BatchState& state) const;

  // After a turn: a job's attempt runs on two hosts; a job runs twice (allowed only while one of
  // them is on an agent that was cut off from the server, which could not stop it); an agent
  // that the server answered twice since still runs an attempt the server no longer runs there.
  std::optional<std::string> Check(const BatchState& state, const SimProcesses& local);

  // Every (job id, attempt number) an agent started: what a crash may not take back.
  const std::set<std::pair<std::string, int>>& launched() const { return launched_; }
  int64_t launches() const;
  int64_t launch_failures() const;
  int64_t joins() const { return static_cast<int64_t>(agents_.size()); }
  int64_t faults() const { return faults_; }

 private:
  void Join(const BatchState& state);

  const Clock& clock_;
  SimRandom& random_;
  const Trace& trace_;
  AgentHub* hub_ = nullptr;
  std::vector<std::unique_ptr<SimAgent>> agents_;
  std::set<std::pair<std::string, int>> launched_;
  // (agent, pid) -> the agent's answered reports when the process was first seen stale.
  std::map<std::pair<size_t, int64_t>, int64_t> stale_since_;
  int64_t faults_ = 0;
};

}  // namespace gleaner::sim
