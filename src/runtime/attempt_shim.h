#pragma once

// `gleaner attempt-shim --exit-file PATH -- ARGV...`: what the agent launches for every attempt, so
// that an agent restarted while the attempt ran can still learn how it ended. The shim leads the
// attempt's process group, runs the command in that group, waits for it, writes the outcome to
// the exit file (atomically) and then ends the way the command ended.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gleaner {

// How an attempt's command ended, as the exit file says.
struct AttemptOutcome {
  int exit_code = 0;    // WEXITSTATUS, or 128 + signal when killed by a signal (shell convention)
  int term_signal = 0;  // the signal that killed it, 0 if it exited
  // Set when the command could not be started at all (exit_code 127 or 126, as a shell's).
  std::string launch_failure;
  bool operator==(const AttemptOutcome&) const = default;
};

// The exit file's text: "<exit_code> <term_signal>\n", or when the command could not be started
// "<exit_code> 0 launch-failed: <why>\n".
std::string FormatAttemptOutcome(const AttemptOutcome& outcome);
// The outcome in an exit file's text; nullopt when the text is not one.
std::optional<AttemptOutcome> ParseAttemptOutcome(std::string_view text);
// The outcome in the exit file at `path`; nullopt when there is none (or it is not readable).
std::optional<AttemptOutcome> ReadAttemptOutcome(const std::string& path);

// The command line that runs `argv` under the shim of the gleaner binary `executable`.
std::vector<std::string> AttemptShimArgv(const std::string& executable,
                                         const std::string& exit_file,
                                         const std::vector<std::string>& argv);

// `gleaner attempt-shim ARGS...`, with `arguments` the words after "attempt-shim": exactly
// "--exit-file PATH -- COMMAND [ARG...]". Parsed by hand, not by the CLI library, so the command's
// words reach it untouched (empty ones, "[...]", "--", "-h" included). Runs RunAttemptShim, or
// prints the usage and returns 2.
int RunAttemptShimCommand(const std::vector<std::string>& arguments);

// Runs the shim in this process and never returns normally: the process ends with the command's
// exit code, or killed by the signal that killed the command. Returns an exit code only when the
// arguments are unusable (empty argv or exit file).
int RunAttemptShim(const std::string& exit_file, const std::vector<std::string>& argv);

}  // namespace gleaner
