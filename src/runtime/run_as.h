#pragma once

// Running a job's command as the job definition's `user` (containerProperties.user: a name, a
// uid, or uid:gid, as Docker takes it). gleaner (as root) spawns `gleaner run-as USER -- COMMAND…`,
// which drops to that user -- supplementary groups, gid, uid, with no way back -- and execs the
// command in the same process, so the attempt's pid, process group and log stay what the launcher
// made them.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

struct JobUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;  // empty for a numeric user without a passwd entry
  std::string home;  // from passwd; empty when none
};

// Resolves `user` on this machine, in the words of a failed start when it cannot be:
// "CannotStartContainerError: unable to find user …". Also refuses what this process cannot do:
// switching users needs root.
Result<JobUser> ResolveJobUser(const std::string& user);

// The command line that runs `argv` as `user` through `gleaner_executable`.
std::vector<std::string> RunAsArgv(const std::string& gleaner_executable, const std::string& user,
                                   const std::vector<std::string>& argv);

// `gleaner run-as USER -- COMMAND...`, `arguments` being the words after "run-as". Returns only on
// failure (127, with the reason on stderr, which is the attempt's log).
int RunAsCommand(const std::vector<std::string>& arguments);

}  // namespace gleaner
