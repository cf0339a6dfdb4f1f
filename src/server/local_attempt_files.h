#pragma once

// The files the shims of this server's own attempts keep (<data-dir>/attempts/): how each attempt
// ended and which process runs it (attempt_shim.h). With them a restarted `gleaner up` finds the
// attempts that were placed on this machine again instead of losing them.

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/attempt_shim.h"
#include "runtime/launcher.h"

namespace gleaner {

// What a restart finds of an attempt that was STARTING or RUNNING on this machine.
struct FoundAttempt {
  enum class Kind {
    kNeverStarted,  // its shim never started the command, and now never will
    kRunning,       // `process` still runs it: watch it
    kEnded,         // it ended while the server was away: `exit` says how
  };
  Kind kind = Kind::kNeverStarted;
  AttemptProcess process;  // kRunning and kEnded: the shim
  ProcessExit exit;        // kEnded
};

class LocalAttemptFiles {
 public:
  explicit LocalAttemptFiles(std::string directory) : directory_(std::move(directory)) {}

  std::string ExitFile(const std::string& job_id, int attempt) const;
  std::string PidFile(const std::string& job_id, int attempt) const;

  // The attempt's fate, from its files and the process table. `known` is the process the store
  // recorded (pid 0 when its launch was not recorded: then the pid file says, or, when there is
  // none, the attempt is given up so that a shim still starting never runs it).
  FoundAttempt Find(const std::string& job_id, int attempt, const AttemptProcess& known) const;

  // Deletes every file but those of the attempts in `keep` (job id, attempt number): the files of
  // attempts that ended before a crash let their removal happen.
  void RemoveAllBut(const std::set<std::pair<std::string, int>>& keep) const;

 private:
  std::string BaseName(const std::string& job_id, int attempt) const;

  std::string directory_;
};

}  // namespace gleaner
