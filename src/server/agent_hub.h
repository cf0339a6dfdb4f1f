#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/agent_protocol.h"
#include "api/batch_executor.h"
#include "api/http_server.h"
#include "capacity/capacity_provider.h"
#include "capacity/instance_ids.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/steady_time.h"
#include "server/agent_identity.h"
#include "server/remote_attempts.h"

namespace gleaner {

struct AgentHubOptions {
  std::string token;  // agents must present it (Authorization: Bearer); empty: any agent may join
  // What agents' credentials derive from (AgentIdentity); kept in the data directory so that they
  // hold across restarts. Empty: a random key for this process only.
  std::string identity_key;
  int64_t lost_after_millis = 30'000;  // no report or poll for this long: the agent is lost
  int64_t report_interval_millis = 2'000;
  std::string log_directory;  // where attempt logs live (<log_directory>/<logStreamName>)
  // A thread of the hub's own answers held polls when their wait runs out. Without it (the
  // simulation, which steps the hub in virtual time) the caller calls AnswerExpiredPolls.
  bool poll_timer_thread = true;
  // Set: new agents' instance ids follow from it (the simulation's runs repeat); else random.
  std::optional<uint64_t> instance_id_seed;
};

// The server's side of the agent protocol (src/api/README.md, "Agent protocol"): agents join the
// compute environment of an ECS cluster as hosts, long-poll for assignments and signals, ship
// logs and report their attempts; an agent silent for lost_after_millis is declared lost and its
// host terminated. HTTP requests arrive on the server's threads; everything that touches the
// state runs on the scheduler thread, through the executor or as the engine's CapacityProvider
// and RemoteAttempts.
class AgentHub final : public CapacityProvider, public RemoteAttempts {
 public:
  AgentHub(const Clock& clock, BatchExecutor& executor, AgentHubOptions options);
  ~AgentHub() override;
  AgentHub(const AgentHub&) = delete;
  AgentHub& operator=(const AgentHub&) = delete;

  // Serves every path under /gleaner/v1/agent/.
  void Handle(HttpRequest&& request, Responder respond);

  // Answers the held polls whose wait has run out (by the clock's monotonic time) with no work,
  // and says when the next one runs out. The poll timer thread's work, for a caller without it.
  void AnswerExpiredPolls() GLEANER_EXCLUDES(mutex_);
  std::optional<SteadyTime> NextPollDeadline() const GLEANER_EXCLUDES(mutex_);

  // CapacityProvider: declares silent agents lost.
  void Advance(HostEvents& state) override;
  void Provide(HostEvents&, const std::map<std::string, std::vector<Resources>>&) override {}
  std::optional<EpochMillis> NextEventAt() const override;

  // RemoteAttempts: the attempts placed on agents' hosts.
  void Launch(const std::string& instance_id, AttemptAssignment assignment) override;
  void Signal(const std::string& instance_id, const AttemptSignal& signal) override;

 private:
  struct HeldPoll {
    Responder respond;
    SteadyTime deadline;
  };
  struct Unconfirmed {
    AttemptAssignment assignment;
    std::optional<SteadyTime> sent_at;  // nullopt: not sent yet
  };
  struct Agent {
    EpochMillis last_seen = 0;
    // Its attempts outlived a restart of this server, but it has not registered since: its
    // requests are answered "register again" until it does.
    bool awaiting_registration = false;
    std::vector<AttemptSignal> signals;  // to send with the next poll
    // Assigned but not reported by the agent yet: sent with the next poll, and again while no
    // report mentions it (the poll that carried it may have died with its connection).
    std::map<AttemptKey, Unconfirmed> unconfirmed;
    // Streams it may ship logs to: those of its attempts not yet acknowledged as ended.
    std::map<AttemptKey, std::string> log_streams;
    std::optional<HeldPoll> poll;
  };
  // A held poll and what to answer it with, to call once the lock is released.
  struct Answer {
    Responder respond;
    AgentWork work;
  };

  void Register(const HttpRequest& request, Responder respond);
  void Poll(const HttpRequest& request, Responder respond);
  void Report(const HttpRequest& request, Responder respond);
  void ReceiveLogs(const HttpRequest& request, Responder respond);
  // Scheduler thread: adds (or keeps) the agent's host; fills `registered`.
  Status JoinCluster(BatchState& state, const AgentRegistration& registration,
                     AgentRegistered& registered);
  // Scheduler thread: what the agent's report means for its attempts.
  AgentReportReply ApplyReport(BatchState& state, const AgentReport& report);
  // Marks the agent seen; false when it is not registered.
  bool Touch(const std::string& instance_id) GLEANER_EXCLUDES(mutex_);
  // Whether the request carries the credential of `instance_id` (see AgentIdentity).
  bool ProvesIdentity(const HttpRequest& request, const std::string& instance_id) const;
  // Under mutex_: what a poll of the agent gets now (new assignments, ones due to be sent again,
  // signals), marked sent.
  AgentWork TakeWorkLocked(Agent& agent, SteadyTime now) GLEANER_REQUIRES(mutex_);
  // Under mutex_: the agent's new work as the answer to its held poll, if it holds one.
  std::optional<Answer> TakeHeldPollLocked(Agent& agent) GLEANER_REQUIRES(mutex_);
  // Under mutex_: takes the responders of held polls whose wait ran out by `now` (all of them
  // once stopping); returns when the next of the others runs out.
  std::optional<SteadyTime> TakeExpiredPollsLocked(SteadyTime now, std::vector<Responder>& expired)
      GLEANER_REQUIRES(mutex_);
  // Answers held polls whose wait ran out; runs on a thread of its own.
  void RunPollTimer() GLEANER_EXCLUDES(mutex_);

  const Clock& clock_;
  BatchExecutor& executor_;
  const AgentHubOptions options_;
  const AgentIdentity identity_;

  mutable Mutex mutex_;
  std::condition_variable polls_changed_;
  std::map<std::string, Agent> agents_ GLEANER_GUARDED_BY(mutex_);  // by instance id
  Mutex logs_mutex_;  // one log write at a time: a resent chunk must not be written twice
  InstanceIdGenerator instance_ids_;  // scheduler thread only (JoinCluster)
  // Advance has looked for attempts that outlived a restart.
  bool restored_agents_awaited_ GLEANER_GUARDED_BY(mutex_) = false;
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread poll_timer_;
};

}  // namespace gleaner
