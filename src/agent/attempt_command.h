#pragma once

// How the agent turns an assignment into a command to run: the environment it gets. (Whether its
// program exists is runtime's CheckProgram.)

#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

// The variables of the agent's own environment ("NAME=value") that attempts inherit: PATH, HOME,
// USER, LOGNAME, LANG, TZ, TMPDIR and SHELL, those present.
std::vector<std::string> InheritedEnvironment(const std::vector<std::string>& agent_environment);

// `inherited` with the job's variables over it: a job variable replaces an inherited one of the
// same name. Inherited variables come first, then the job's in their order.
std::vector<std::string> AttemptEnvironment(const std::vector<std::string>& inherited,
                                            const std::vector<std::string>& job_environment);

}  // namespace gleaner
