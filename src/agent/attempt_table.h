#pragma once

// The attempts an agent holds and what it tells the server about them. Pure: no I/O, no threads,
// no clock; the supervisor feeds it facts (launched, ended, log shipped, acknowledged) and sends
// the reports it builds.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/attempt_record.h"
#include "api/agent_protocol.h"
#include "runtime/attempt_shim.h"

namespace gleaner {

struct HeldAttempt {
  AttemptRecord record;
  // Launched by this agent process: its launcher reports the exit. Otherwise (found again after
  // a restart) the supervisor polls whether the process is still alive.
  bool watched_by_launcher = false;
  std::optional<CommandOutcome> outcome;  // set once the attempt has ended
  // The log's size when the end was noticed: the attempt is reported EXITED once the server
  // holds that much of it (output a leftover background process writes later does not count).
  int64_t final_log_size = 0;
  bool log_rejected = false;   // the server refused the log: stop shipping, do not wait for it
  std::string launch_failure;  // set: nothing was started, report LAUNCH_FAILED with this reason
  // Being launched off the core thread (a container, its image maybe being pulled): reported
  // STARTING with `progress` as the reason until the launch is done.
  bool launching = false;
  std::string progress;
  // Why it ended when that is more than its exit code ("OutOfMemoryError: ..."), from the
  // launcher; reported with EXITED.
  std::string exit_reason;
  // A re-attached container found ended: the launcher is concluding it (inspect, remove), its
  // exit arrives like a launched one's.
  bool concluding = false;

  bool Ended() const { return outcome.has_value() || !launch_failure.empty(); }
  // Alive as far as the agent knows: signals go to its process group.
  bool Running() const { return !Ended() && record.pid > 0; }
  bool LogShipped() const {
    return log_rejected || !launch_failure.empty() || record.log_offset >= final_log_size;
  }
};

// What the server is told about an attempt: RUNNING until it ended and its log is shipped.
AttemptReport ReportFor(const HeldAttempt& attempt);

// A running attempt found again after a restart, decided from what is left of it: an exit file
// says how it ended; without one, a live process means it still runs; without either it died
// with its shim (SIGKILL to the group, or the machine restarted) and counts as killed by SIGKILL.
std::optional<CommandOutcome> RecoveredOutcome(const std::optional<CommandOutcome>& exit_file,
                                               bool process_alive);
// The outcome of an attempt killed by SIGKILL: exit code 137, signal 9.
CommandOutcome KilledBySigkill();

class AttemptTable {
 public:
  bool Holds(const AttemptKey& key) const { return attempts_.contains(key); }
  HeldAttempt* Find(const AttemptKey& key);
  // The running attempt led by `pid`, or nullptr.
  HeldAttempt* FindRunning(pid_t pid);
  void Add(HeldAttempt attempt);
  // Ends a held, not yet ended attempt; false when there is none.
  bool End(const AttemptKey& key, CommandOutcome outcome, int64_t final_log_size);

  std::vector<AttemptKey> Keys() const;
  std::map<AttemptKey, HeldAttempt>& attempts() { return attempts_; }
  const std::map<AttemptKey, HeldAttempt>& attempts() const { return attempts_; }

  // Every attempt held, as the report lists them.
  AgentReport BuildReport(const std::string& instance_id) const;
  // The states a report would carry now; when they differ from the last report's, it is due at
  // once (an attempt started or ended).
  std::vector<std::pair<AttemptKey, AttemptState>> ReportedStates() const;
  // Forgets the acknowledged attempts that are reported as ended (an acknowledgement of one still
  // reported STARTING or RUNNING is ignored) and returns them, for their files to be deleted.
  std::vector<AttemptKey> Acknowledge(const std::vector<AttemptKey>& acknowledged);

 private:
  std::map<AttemptKey, HeldAttempt> attempts_;  // ordered: reports list attempts in key order
};

}  // namespace gleaner
