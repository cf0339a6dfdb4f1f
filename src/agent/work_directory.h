#pragma once

// The agent's files under --work-dir:
//   agent.json                  the instance id the server gave this agent, and its credential
//   attempts/<name>.json        one AttemptRecord per attempt held (see attempt_record.h)
//   attempts/<name>.exit        written by the attempt shim when the attempt ends
//   logs/<logStreamName>        each attempt's stdout and stderr (kept after the attempt)
//   work/<name>/                each attempt's working directory (removed when it is forgotten)
//   containers/                 the container runtime's per-attempt files

#include <string>
#include <vector>

#include "agent/attempt_record.h"
#include "common/atomic_file.h"  // WriteFileAtomically
#include "common/status.h"

namespace gleaner {

class WorkDirectory {
 public:
  explicit WorkDirectory(std::string root);

  // Creates the directories above (and the root) when missing.
  Status Create() const;

  const std::string& root() const { return root_; }
  std::string WorkingDirectory(const AttemptKey& key) const;
  std::string ContainersDirectory() const { return root_ + "/containers"; }
  std::string LogPath(const std::string& log_stream_name) const;
  std::string RecordPath(const AttemptKey& key) const;
  std::string ExitFilePath(const AttemptKey& key) const;

  // The instance id saved by an earlier run, and the credential proving it is this agent's;
  // empty when there is none.
  std::string LoadInstanceId() const { return LoadAgentMember("instanceId"); }
  std::string LoadAgentCredential() const { return LoadAgentMember("agentCredential"); }
  Status SaveInstanceId(const std::string& instance_id, const std::string& cluster,
                        const std::string& credential) const;

  // `durable`: fsync before the rename. Without it a crash may lose the update (not the old
  // record), which is fine for a log offset: the server skips bytes it already has.
  Status SaveRecord(const AttemptRecord& record, bool durable) const;
  // Deletes the attempt's record, exit file and working directory (the log stays).
  void ForgetAttempt(const AttemptKey& key) const;
  // Every record in attempts/, ordered by file name; unreadable ones are described in `problems`.
  std::vector<AttemptRecord> LoadRecords(std::vector<std::string>& problems) const;

 private:
  std::string AttemptsDirectory() const;
  std::string LoadAgentMember(const char* name) const;

  std::string root_;
};

}  // namespace gleaner
