#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

struct CommandOutput {
  int exit_code = 0;  // WEXITSTATUS, or 128 + signal
  std::string out;
  std::string err;
};

// Runs a short helper command (podman, docker) to its end and captures what it prints. argv[0] is
// looked up on PATH. `environment` is the whole environment of the command; empty: this process's.
// Past `timeout` the command is killed and the result is a Status saying so; a command that cannot
// be started is a Status too. Never reaps anything but its own child.
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& environment,
                                 std::chrono::milliseconds timeout);

// This process's environment with `extra` ("NAME=value") after it.
std::vector<std::string> OwnEnvironmentWith(const std::vector<std::string>& extra);

// The last line of `text` that is not blank, without its line end.
std::string LastLine(const std::string& text);

}  // namespace gleaner
