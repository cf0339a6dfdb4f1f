#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/container_engine.h"
#include "runtime/container_spec.h"

namespace gleaner {

// The engine command lines for one attempt's container, built without I/O. Each starts with the
// engine's program and global flags.

// `run` (attached, not removed at its end): the container with everything the job definition asks
// for; `command` replaces the image's CMD when spec.has_command. The command ends with the
// container's exit code and copies its stdout and stderr to its own. The variables are read from
// `env_file` (EnvFileText), never put on the command line, which other users of the machine can
// read, nor into the engine's own environment, which they would steer.
std::vector<std::string> RunArguments(const ContainerEngine& engine, const ContainerSpec& spec,
                                      const std::vector<std::string>& command,
                                      const std::string& env_file);
// The `--env-file` text for spec.environment: one NAME=value per line.
std::string EnvFileText(const ContainerSpec& spec);
// What the engine cannot be given safely: variable names that are not NAME-shaped or values with
// a line break (an env file cannot carry them), paths that are not absolute or hold a ':' (which
// the engine would read as options). The message is the reason the attempt cannot be created.
Status CheckContainerSpec(const ContainerSpec& spec);
std::vector<std::string> KillArguments(const ContainerEngine& engine, const std::string& name,
                                       int signal);
// Prints "<exit code> <oom killed true|false> <status>".
std::vector<std::string> InspectArguments(const ContainerEngine& engine, const std::string& name);
std::vector<std::string> RemoveArguments(const ContainerEngine& engine, const std::string& name);
// The names of the containers with engine.owner's label, one per line.
std::vector<std::string> ListOwnedArguments(const ContainerEngine& engine);
// Exits 0 when the image is in the local store.
std::vector<std::string> ImageExistsArguments(const ContainerEngine& engine,
                                              const std::string& image);
std::vector<std::string> PullArguments(const ContainerEngine& engine, const std::string& image);

// A container name for an attempt: gleaner-<job id>-<attempt>, with the characters container
// names do not allow (':' of array children, '#' of nodes) replaced.
std::string ContainerNameFor(const std::string& job_id, int attempt);

// "<cpus>" with three decimals at most, from millivcpus: 250 -> "0.25".
std::string CpusText(int64_t millivcpus);

}  // namespace gleaner
