#pragma once

// `gleaner attempt-shim --exit-file PATH [--pid-file PATH] -- ARGV...`: what the agent and the
// server launch for every attempt, so that one restarted while the attempt ran can still find it
// and learn how it ended. The shim leads the attempt's process group, runs the command in that
// group, waits for it, writes the outcome to the exit file (atomically) and then ends the way the
// command ended.
//
// With --pid-file, the shim first claims the attempt: it creates the pid file, naming itself,
// and only then starts the command. If the file is there already, a restarted server gave the
// attempt up (ClaimAttemptPidFile) and the shim ends at once without starting anything. So an
// attempt whose start a crash interrupted either runs under a shim the server can find, or never
// runs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleaner {

// How an attempt's command ended, as the exit file says.
struct CommandOutcome {
  int exit_code = 0;    // WEXITSTATUS, or 128 + signal when killed by a signal (shell convention)
  int term_signal = 0;  // the signal that killed it, 0 if it exited
  // Set when the command could not be started at all (exit_code 127 or 126, as a shell's).
  std::string launch_failure;
  bool operator==(const CommandOutcome&) const = default;
};

// The exit file's text: "<exit_code> <term_signal>\n", or when the command could not be started
// "<exit_code> 0 launch-failed: <why>\n".
std::string FormatAttemptOutcome(const CommandOutcome& outcome);
// The outcome in an exit file's text; nullopt when the text is not one.
std::optional<CommandOutcome> ParseAttemptOutcome(std::string_view text);
// The outcome in the exit file at `path`; nullopt when there is none (or it is not readable).
std::optional<CommandOutcome> ReadAttemptOutcome(const std::string& path);

// The network an attempt's command runs in, entered by the shim; empty: the shim's own.
struct AttemptShimNetwork {
  std::string network_namespace;  // a path to a network namespace (network_namespace.h)
  std::string resolv_conf;        // the namespace's /etc/resolv.conf (UseResolvConf)
};

// The command line that runs `argv` under the shim of the gleaner binary `executable` (or of
// gleaner-attempt-shim, which takes the same words). An empty `pid_file` leaves --pid-file out.
std::vector<std::string> AttemptShimArgv(const std::string& executable,
                                         const std::string& exit_file,
                                         const std::vector<std::string>& argv,
                                         const std::string& pid_file = "",
                                         const AttemptShimNetwork& network = {});

// The exit code of a shim that found its attempt given up (the pid file there before it).
inline constexpr int kAttemptGivenUpExitCode = 125;

// The process that runs an attempt, as its shim's pid file names it.
struct AttemptProcess {
  int pid = 0;
  int64_t start_ticks = 0;  // /proc/<pid>/stat field 22
  bool operator==(const AttemptProcess&) const = default;
};

// For a restarted server that knows an attempt's start but not its process: the process the pid
// file at `path` names, when its shim wrote one. Otherwise it writes the file itself, marking the
// attempt given up, and returns nullopt: the shim, if it was still starting, then never runs the
// command. Either way, afterwards the file says which. Creating the file is atomic (the shim and
// the server race for it).
std::optional<AttemptProcess> ClaimAttemptPidFile(const std::string& path);

// `gleaner attempt-shim ARGS...`, with `arguments` the words after "attempt-shim": exactly
// "--exit-file PATH [--pid-file PATH] [--network-namespace PATH [--resolv-conf PATH]] --
// COMMAND [ARG...]". Parsed by
// hand, not by the CLI library, so the command's words reach it untouched (empty ones, "[...]",
// "--", "-h" included). Runs RunAttemptShim, or prints the usage and returns 2.
int RunAttemptShimCommand(const std::vector<std::string>& arguments);

// Runs the shim in this process and never returns normally: the process ends with the command's
// exit code, or killed by the signal that killed the command. Returns an exit code only when the
// arguments are unusable (empty argv or exit file).
// With `network`, the command runs in that network namespace, with that resolver.
int RunAttemptShim(const std::string& exit_file, const std::vector<std::string>& argv,
                   const std::string& pid_file = "", const AttemptShimNetwork& network = {});

}  // namespace gleaner
