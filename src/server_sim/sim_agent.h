#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "api/agent_protocol.h"
#include "api/http_server.h"
#include "common/clock.h"
#include "model/resources.h"
#include "sim/sim_processes.h"

namespace gleaner {
class AgentHub;
}

namespace gleaner::sim {

// One `gleaner agent` in virtual time: it speaks the agent protocol (the real requests and
// answers of api/agent_protocol.h) to the server's real AgentHub, in process, and runs its
// attempts as simulated processes. It follows the daemon's rules (agent/agent_daemon.cc):
// register with the attempts it holds, keep one poll waiting, report at least every heartbeat
// and at once when an attempt starts or ends, register again when told it is not registered,
// join as a new instance when its id is refused, forget ended attempts the server acknowledged,
// and deliver the signals of polls and report replies. It ships no logs.
//
// Faults: a restart of the agent (its attempts and work directory survive, as the daemon
// re-attaches them), a partition (nothing gets through either way for a while; its processes
// run on), and the loss of its machine (its processes die and it is never heard from again).
class SimAgent {
 public:
  SimAgent(int index, std::string cluster, Resources resources, const Clock& clock,
           SimRandom& random, const Trace& trace);

  // The server it talks to; nullptr while it is down. A new server resets every connection.
  void Connect(AgentHub* hub);
  // Takes what arrived (answers, exits) and sends what is due.
  void Step();
  // When it next has something to do, if it has anything to do beyond its heartbeat: nothing
  // then once it holds no attempts and is registered (so that a quiet simulation can end).
  std::optional<EpochMillis> NextBusyAt() const;

  void Restart();
  void Partition(int64_t millis);
  void LoseMachine();

  const std::string& name() const { return name_; }
  const std::string& instance_id() const { return instance_id_; }
  bool gone() const { return gone_; }
  bool partitioned() const { return partitioned_until_ > clock_.NowMillis(); }
  // Reports the server answered, over its whole life.
  int64_t reports_answered() const { return reports_answered_; }
  // The last time a partition of it began (0: never).
  EpochMillis last_partition_at() const { return last_partition_at_; }
  SimProcesses& processes() { return processes_; }
  const SimProcesses& processes() const { return processes_; }
  // Called as it starts an attempt's process (the simulation checks where else the job runs).
  void SetOnLaunch(std::function<void(const SimAgent&, const AttemptKey&)> on_launch) {
    on_launch_ = std::move(on_launch);
  }

 private:
  struct Held {
    AttemptState state = AttemptState::kRunning;
    int64_t pid = 0;
    int exit_code = 0;
    int signal = 0;
    std::string reason;
  };
  enum class Kind { kRegister, kPoll, kReport };
  struct Answer {
    Kind kind;
    uint64_t connection;
    uint64_t registration;  // the registration it was sent under
    HttpResponse response;
    AgentReport report;  // kReport: what was sent
  };

  void Send(Kind kind, std::string_view path, std::string body, AgentReport report = {});
  void Take(const Answer& answer);
  void OnRegistered(const HttpResponse& response);
  void OnWork(const HttpResponse& response);
  void OnReportReply(const HttpResponse& response, const AgentReport& report);
  // An answer that is not 200: register again (404, 403) or try again later.
  void OnFailure(const HttpResponse& response);
  void StartAttempt(const AttemptAssignment& assignment);
  void Deliver(const AttemptSignal& signal);
  void TakeExits();
  AgentReport BuildReport() const;
  // Drops every connection: answers to what was sent before never arrive.
  void ResetConnections();

  const std::string name_;
  const std::string cluster_;
  const Resources resources_;
  const Clock& clock_;
  SimRandom& random_;
  const Trace& trace_;
  SimProcesses processes_;
  AgentHub* hub_ = nullptr;
  std::function<void(const SimAgent&, const AttemptKey&)> on_launch_;

  // Its work directory: kept across restarts.
  std::string instance_id_;
  std::string credential_;
  std::map<AttemptKey, Held> held_;

  // The daemon's memory: lost at a restart.
  bool registered_ = false;
  int64_t poll_wait_millis_ = 10'000;
  int64_t report_interval_millis_ = 2'000;
  bool register_in_flight_ = false;
  bool poll_in_flight_ = false;
  bool report_in_flight_ = false;
  EpochMillis retry_at_ = 0;        // a failed request: nothing before this
  EpochMillis next_report_at_ = 0;  // the heartbeat
  std::string last_reported_;       // the attempts' states in the last answered report

  uint64_t connection_ = 0;    // answers carry the connection they were sent on
  uint64_t registration_ = 0;  // and the registration: a refusal of an older one is stale
  std::deque<Answer> answers_;
  EpochMillis partitioned_until_ = 0;
  EpochMillis last_partition_at_ = 0;
  bool gone_ = false;
  int64_t reports_answered_ = 0;
};

}  // namespace gleaner::sim
