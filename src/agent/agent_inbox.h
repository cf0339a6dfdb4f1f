#pragma once

// What the agent's other threads hand to its core thread: work from the poll thread, exits from
// the launcher's reaper, launches finished and their progress from the launch worker, requests to
// register again, and the stop. Also the registration the poll
// thread polls with. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/mutex.h"
#include "common/steady_time.h"
#include "runtime/launcher.h"

namespace gleaner {

// The registration the server currently knows the agent by.
// A launch done off the core thread (a container's, which may pull its image first).
struct AttemptLaunched {
  std::string id;  // AttemptFileName of the attempt
  Result<LaunchedProcess> launched = Status::Internal("not launched");
};

// What a launch in progress waits for ("Pulling image ...").
struct AttemptProgress {
  AttemptKey key;
  std::string reason;
};

struct AgentSession {
  std::string instance_id;
  std::string credential;  // proves instance_id is this agent's
  int64_t poll_wait_millis = 0;
  uint64_t generation = 0;  // 1 for the first registration, +1 for each later one
};

class AgentInbox {
 public:
  struct Batch {
    std::vector<AttemptAssignment> assignments;
    std::vector<AttemptSignal> signals;
    std::vector<ProcessExit> exits;
    std::vector<AttemptLaunched> launches;
    std::vector<AttemptProgress> progress;
    // The newest registration the poll thread found the server no longer knows; 0: none.
    uint64_t refused_generation = 0;
    bool stopping = false;
  };

  void AddWork(AgentWork work);
  void AddExit(const ProcessExit& exit);
  void AddLaunched(AttemptLaunched launched);
  void AddProgress(AttemptProgress progress);
  // The server no longer knows the registration of `generation` (AgentSession::generation).
  void RequestRegistration(uint64_t generation);
  void Stop();
  bool stopping() const;

  // Waits until something arrives, the stop, or `deadline`; then takes everything there is.
  Batch Take(SteadyTime deadline);
  // Sleeps until `deadline` or the stop; returns false on the stop.
  bool SleepUntil(SteadyTime deadline);

  void SetSession(AgentSession session);
  // Waits for a registration newer than `generation`; nullopt on the stop.
  std::optional<AgentSession> WaitForSessionAfter(uint64_t generation);

 private:
  mutable Mutex mutex_;
  std::condition_variable changed_;
  Batch pending_ GLEANER_GUARDED_BY(mutex_);
  AgentSession session_ GLEANER_GUARDED_BY(mutex_);
};

}  // namespace gleaner
