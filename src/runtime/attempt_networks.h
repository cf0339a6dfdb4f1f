#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

// An attempt about to start locally, as its network needs to know it.
struct AttemptNetworkRequest {
  std::string job_id;
  int attempt = 0;
  // The instance it runs on when that has a metadata service (a simulated one); else empty.
  std::string instance_id;
};

// What an attempt's network is, for its launch.
struct AttemptNetwork {
  // LaunchSpec::network_namespace: a path to its network namespace; empty: this machine's network.
  std::string network_namespace;
  // Its resolver's address (a container's --dns), and a resolv.conf naming it (for a command run
  // directly, LaunchSpec::resolv_conf); empty: the machine's own resolvers.
  std::string nameserver;
  std::string resolv_conf;
  // Files of this machine the attempt reads at the same path (its CA bundle): a container
  // mounts them read-only.
  std::vector<std::string> shared_paths;
};

// Gives each local attempt a network of its own -- the job's view of AWS: its instance's metadata
// at 169.254.169.254, gleaner's endpoint on its loopback, ordinary outbound access -- and takes it
// back when the attempt ends. The seam between the engine and what builds the network (the
// server, over network_namespace.h and its HTTP server).
class AttemptNetworks {
 public:
  virtual ~AttemptNetworks() = default;
  // On a launch thread, before the attempt starts: its network (empty when it shares this
  // machine's), or why it cannot have the network it needs (the launch fails with it).
  virtual Result<AttemptNetwork> Prepare(const AttemptNetworkRequest& request) = 0;
  // An attempt Prepare gave a network before gleaner restarted, found still running as `pid`:
  // its network (the namespace `pid` is in) is served again. Nothing happens when `pid` shares
  // this machine's network.
  virtual Status Rejoin(const AttemptNetworkRequest& request, int pid) = 0;
  // Whether Prepare gives this attempt a namespace (any thread).
  virtual bool Gives(const AttemptNetworkRequest& request) const = 0;
  // The attempt ended (or never started): its network goes. Unknown attempts are ignored. Any
  // thread.
  virtual void Release(const std::string& job_id, int attempt) = 0;
};

}  // namespace gleaner
