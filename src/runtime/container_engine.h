#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "runtime/container_spec.h"

namespace gleaner {

// The container engine gleaner drives through its command line: podman (daemonless, rootful) or,
// through the same code path, docker. Their commands and flags are the same for everything
// gleaner uses; where they differ the difference is a field here.
struct ContainerEngine {
  enum class Kind { kPodman, kDocker };
  Kind kind = Kind::kPodman;
  std::string program;  // absolute path of podman or docker
  // Flags before the subcommand (podman: --runtime runc where crun cannot run, ...).
  std::vector<std::string> global_flags;
  // Added to the environment of every engine command (podman: CONTAINERS_CONF=<gleaner's own>).
  std::vector<std::string> environment;
  // Set when a job sets ulimits but not these: podman then raises nofile and nproc to values this
  // machine may refuse (no CAP_SYS_RESOURCE), so gleaner keeps the ones a container gets anyway.
  std::vector<ContainerSpec::Ulimit> default_ulimits;
  std::string version;  // as the engine reports it
  // Labels every container gleaner creates (io.gleaner.owner), so that a restarted server removes
  // the ones its previous run left, and only those: its data directory.
  std::string owner;
};

const char* ToString(ContainerEngine::Kind kind);

// Finds a working container engine: podman on PATH (checked with `podman version`), else docker
// whose daemon answers (`docker version` with a server). `config_directory` is where gleaner keeps
// the containers.conf it gives podman (default ulimits left empty; runc as the OCI runtime when
// it is installed). Not found: the reason, for the "runtime: process" line `gleaner up` prints.
Result<ContainerEngine> FindContainerEngine(const std::string& config_directory);

}  // namespace gleaner
