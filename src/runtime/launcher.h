#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/container_spec.h"

namespace gleaner {

struct LaunchSpec {
  std::vector<std::string> argv;         // argv[0] is looked up on PATH (posix_spawnp)
  std::vector<std::string> environment;  // "NAME=value", the whole environment of the process
  std::string working_directory;         // empty: inherit
  std::string log_path;  // stdout and stderr are appended here (created with parent directories)
  // The job definition's user (name, uid or uid:gid): the command runs as that user, switched to
  // through `gleaner run-as` (run_as.h). Empty: as this process's own user.
  std::string user;
  // When set, the process launched is the attempt shim (attempt_shim.h), as this process's user,
  // which runs the command (as `user`), records how it ended in `exit_file` and names itself in
  // `pid_file` (when set) before it starts the command: so that a restarted server can find the
  // attempt again. The reported exit is the command's either way.
  std::string exit_file;
  std::string pid_file;
  // Set: the attempt runs in this network namespace (network_namespace.h; a path such as
  // "/proc/<pid>/fd/<n>"): the shim enters it, a container is started in it.
  std::string network_namespace;
  // With `network_namespace`, for a command run directly (not a container's engine): its
  // /etc/resolv.conf, seen through a mount namespace of its own (network_namespace.h).
  std::string resolv_conf;
  // Set: the attempt runs in this container (container_launcher.h), `argv` being its command;
  // its variables are `container->environment`; the engine runs with the launcher's own.
  std::optional<ContainerSpec> container;
  // Called on the launching thread when the launch waits for something the job should show (an
  // image being pulled: "Pulling image ..."), for the STARTING job's statusReason. May be empty.
  std::function<void(const std::string&)> on_progress;
  // Run by the launch worker on the launching thread before the launch: sets up what the attempt
  // needs first (its network namespace) and completes the spec. Its failure is the launch's.
  std::function<Status(LaunchSpec&)> prepare;
};

struct LaunchedProcess {
  pid_t pid = 0;            // also the process group id: each attempt leads its own group
  int64_t start_ticks = 0;  // /proc/<pid>/stat field 22, to recognise the process later
};

// How a process ended.
struct ProcessExit {
  pid_t pid = 0;
  int exit_code = 0;    // WEXITSTATUS, or 128 + signal when killed by a signal (shell convention)
  int term_signal = 0;  // the signal that killed it, 0 if it exited
  // Why it ended when that is more than its exit code, in AWS's words
  // ("OutOfMemoryError: Container killed due to memory usage"); empty otherwise.
  std::string reason;
};

// Spawns attempts as process groups and reports their exits. Never forks the (large) server:
// posix_spawn with POSIX_SPAWN_SETPGROUP. Exits are reported from a reaper thread of its own.
class Launcher {
 public:
  virtual ~Launcher() = default;

  // A spawn failure (command not found, not executable) is a Status, not a crash; in that case
  // nothing was started and no exit is reported.
  virtual Result<LaunchedProcess> Launch(const LaunchSpec& spec) = 0;
  // Sends `signal` to the whole process group `pgid`. Unknown or gone groups are ignored.
  virtual void SignalGroup(pid_t pgid, int signal) = 0;
  // An attempt this launcher started before a restart, found running again under `pgid` (its
  // exit is watched elsewhere, see reattached_attempts.h): signals to `pgid` reach it again.
  virtual void Adopt(pid_t /*pgid*/, const LaunchSpec& /*spec*/) {}
  // How an adopted attempt ended, completed with what only the launcher knows (why a container
  // ended) and handed to `done`, on a thread of the launcher's or the caller's.
  virtual void ConcludeAdopted(const ProcessExit& exit,
                               const std::function<void(const ProcessExit&)>& done) {
    done(exit);
  }
};

// `on_exit` is called on the launcher's reaper thread for every process it launched.
std::unique_ptr<Launcher> MakeProcessLauncher(std::function<void(const ProcessExit&)> on_exit);

// Whether `spec.argv` names a program Launch could start, resolved as Launch resolves it (a name
// with a '/' relative to the working directory, any other on the PATH of `spec.environment`);
// otherwise why not, in the words of a failed launch ("CannotStartContainerError: command ...").
// For launchers that start the program through another one (the agent's attempt shim). Without a
// PATH in the environment the name is left to posix_spawnp's default search.
Status CheckProgram(const LaunchSpec& spec);

// The process's start time from /proc/<pid>/stat, or 0 when there is no such process.
int64_t ReadProcessStartTicks(pid_t pid);

// Whether the process that started at `start_ticks` still runs as `pid`. A zombie does not count:
// it has ended, its parent (an init that does not reap, or a program that embedded an earlier
// launcher) just has not reaped it yet.
bool IsProcessAlive(pid_t pid, int64_t start_ticks);

// Kills the group `pgid` with SIGKILL if its leader is still the process that started at
// `start_ticks` (an orphan from before a restart); returns whether it did.
bool KillOrphanedGroup(pid_t pgid, int64_t start_ticks);

}  // namespace gleaner
