#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "runtime/launcher.h"

namespace gleaner {

// Tuning for the process implementation of Launcher. The defaults are what the server wants; tests
// use them to exercise the fallback path on a kernel that has pidfds.
struct ProcessLauncherOptions {
  // Watch each process with a pidfd (Linux 5.3+) so its exit wakes the reaper at once. When false,
  // or when pidfd_open fails for a process (ENOSYS on an old kernel, EMFILE when out of
  // descriptors), that process is polled with waitpid(pid, WNOHANG) every `sweep_interval`.
  bool use_pidfd = true;
  std::chrono::milliseconds sweep_interval{50};
  // The gleaner binary whose `run-as` switches a job to its user; empty: this very executable.
  std::string run_as_executable;
  // What runs attempts with an exit file (LaunchSpec::exit_file): gleaner-attempt-shim or a
  // gleaner binary. Empty: gleaner-attempt-shim next to this executable, else this executable.
  std::string attempt_shim_executable;
};

// MakeProcessLauncher(on_exit) with explicit options.
std::unique_ptr<Launcher> MakeProcessLauncher(std::function<void(const ProcessExit&)> on_exit,
                                              const ProcessLauncherOptions& options);

// Field 22 (starttime, in clock ticks since boot) of a /proc/<pid>/stat line, or 0 when the line
// is malformed. The command name (field 2) may itself contain spaces and parentheses, so fields
// are counted from the last ')'.
int64_t ParseProcStatStartTicks(std::string_view stat);

}  // namespace gleaner
