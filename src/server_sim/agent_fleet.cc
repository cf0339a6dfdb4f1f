#include "server_sim/agent_fleet.h"

#include "scheduler/batch_state.h"

namespace gleaner::sim {
namespace {

constexpr size_t kMaxAgents = 6;  // joined over a run
constexpr int kJoinPercent = 8;   // per tick
constexpr int kFaultPercent = 6;  // per tick: one agent restarts, is cut off or loses its machine
// A stale process must be stopped by the time the server has answered this many more reports.
constexpr int64_t kStaleReports = 2;

// Whether the server runs `attempt` of `job_id` on `instance_id` now.
bool RunsThere(const BatchState& state, const std::string& job_id, int attempt,
               const std::string& instance_id) {
  const Job* job = state.FindJob(job_id);
  return job != nullptr && job->placement && job->placement->instance_id == instance_id &&
         job->AttemptNumber() == attempt &&
         (job->status == JobStatus::kStarting || job->status == JobStatus::kRunning);
}

}  // namespace

void AgentFleet::Tick(const BatchState& state) {
  if (agents_.size() < kMaxAgents && random_.Percent(kJoinPercent)) Join(state);
  if (agents_.empty() || !random_.Percent(kFaultPercent)) return;
  SimAgent& agent = *agents_[static_cast<size_t>(random_.Between(0, std::ssize(agents_) - 1))];
  if (agent.gone()) return;
  ++faults_;
  int64_t kind = random_.Between(0, 9);
  if (kind < 4) {
    agent.Restart();
  } else if (kind < 8) {
    // Shorter and longer than the 30 s after which the server declares a silent agent lost.
    agent.Partition(random_.Pick<int64_t>({3'000, 20'000, 45'000, 120'000}));
  } else {
    agent.LoseMachine();
  }
}

void AgentFleet::Join(const BatchState& state) {
  std::vector<std::string> clusters;
  for (const auto& [name, environment] : state.compute_environments()) {
    if (environment.type == "UNMANAGED") clusters.push_back(environment.ecs_cluster_arn);
  }
  if (clusters.empty()) return;
  Resources offered{random_.Pick<int64_t>({1, 2, 4, 8, 16}) * 1000,
                    random_.Pick<int64_t>({2048, 8192, 32768}),
                    random_.Percent(15) ? random_.Between(1, 2) : 0};
  auto agent = std::make_unique<SimAgent>(static_cast<int>(agents_.size()), random_.Pick(clusters),
                                          offered, clock_, random_, trace_);
  trace_.Line(agent->name() + " joins with " + offered.ToString());
  agent->SetOnLaunch([this](const SimAgent&, const AttemptKey& key) {
    launched_.insert({key.job_id, key.attempt});
  });
  agent->Connect(hub_);
  agents_.push_back(std::move(agent));
}

void AgentFleet::Connect(AgentHub* hub) {
  hub_ = hub;
  for (auto& agent : agents_) agent->Connect(hub);
}

void AgentFleet::Step() {
  for (auto& agent : agents_) agent->Step();
}

std::optional<EpochMillis> AgentFleet::NextBusyAt() const {
  std::optional<EpochMillis> next;
  for (const auto& agent : agents_) {
    std::optional<EpochMillis> at = agent->NextBusyAt();
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

bool AgentFleet::AnyAttemptPlaced(const BatchState& state) const {
  for (const auto& agent : agents_) {
    if (!agent->instance_id().empty() && !state.JobsOnHost(agent->instance_id()).empty()) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> AgentFleet::Check(const BatchState& state, const SimProcesses& local) {
  struct Where {
    int64_t pid;
    int attempt;
    const SimAgent* agent;  // nullptr: the server's own launcher
  };
  std::map<std::string, std::vector<Where>> by_job;
  for (const auto& [pid, process] : local.running()) {
    if (!process.killed) by_job[process.job_id].push_back({pid, process.attempt, nullptr});
  }
  for (size_t i = 0; i < agents_.size(); ++i) {
    const SimAgent& agent = *agents_[i];
    for (const auto& [pid, process] : agent.processes().running()) {
      if (process.killed) continue;
      by_job[process.job_id].push_back({pid, process.attempt, &agent});
      // A process the server no longer runs there is stopped once the agent reports it.
      if (agent.partitioned() ||
          RunsThere(state, process.job_id, process.attempt, agent.instance_id())) {
        stale_since_.erase({i, pid});
        continue;
      }
      auto [since, inserted] =
          stale_since_.emplace(std::make_pair(i, pid), agent.reports_answered());
      if (agent.reports_answered() - since->second >= kStaleReports) {
        return "pid " + std::to_string(pid) + " of job " + process.job_id + " attempt " +
               std::to_string(process.attempt) + " still runs on " + agent.name() + " (" +
               agent.instance_id() + "), which the server no longer runs it on, after " +
               std::to_string(kStaleReports) + " reports it answered";
      }
    }
  }
  for (const auto& [job_id, places] : by_job) {
    if (places.size() < 2) continue;
    for (size_t a = 0; a < places.size(); ++a) {
      for (size_t b = a + 1; b < places.size(); ++b) {
        auto name = [](const Where& where) {
          return where.agent == nullptr
                     ? std::string("the server's launcher")
                     : where.agent->name() + " (" + where.agent->instance_id() + ")";
        };
        if (places[a].attempt == places[b].attempt) {
          return "attempt " + std::to_string(places[a].attempt) + " of job " + job_id +
                 " runs on two hosts: " + name(places[a]) + " and " + name(places[b]);
        }
        // Two attempts at once: only when the earlier one is on an agent the server could not
        // reach to stop it (cut off, then declared lost), and no longer runs it there.
        const Where& earlier = places[a].attempt < places[b].attempt ? places[a] : places[b];
        if (earlier.agent == nullptr || earlier.agent->last_partition_at() == 0 ||
            RunsThere(state, job_id, earlier.attempt, earlier.agent->instance_id())) {
          return "job " + job_id + " runs twice: attempt " + std::to_string(places[a].attempt) +
                 " on " + name(places[a]) + " and attempt " + std::to_string(places[b].attempt) +
                 " on " + name(places[b]);
        }
      }
    }
  }
  return std::nullopt;
}

int64_t AgentFleet::launches() const {
  int64_t total = 0;
  for (const auto& agent : agents_) total += agent->processes().launches();
  return total;
}

int64_t AgentFleet::launch_failures() const {
  int64_t total = 0;
  for (const auto& agent : agents_) total += agent->processes().launch_failures();
  return total;
}

}  // namespace gleaner::sim
