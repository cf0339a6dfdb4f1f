#pragma once

#include <string>

#include "common/status.h"

namespace gleaner {

// An attempt about to start locally, as its network needs to know it.
struct AttemptNetworkRequest {
  std::string job_id;
  int attempt = 0;
  // The instance it runs on when that has a metadata service (a simulated one); else empty.
  std::string instance_id;
};

// Gives each local attempt a network of its own -- the job's view of AWS: its instance's metadata
// at 169.254.169.254, gleaner's endpoint on its loopback, ordinary outbound access -- and takes it
// back when the attempt ends. The seam between the engine and what builds the network (the
// server, over network_namespace.h and its HTTP server).
class AttemptNetworks {
 public:
  virtual ~AttemptNetworks() = default;
  // On a launch thread, before the attempt starts: the path of its network namespace
  // (LaunchSpec::network_namespace), empty when it shares this machine's network, or why it
  // cannot have the network it needs (the launch fails with it).
  virtual Result<std::string> Prepare(const AttemptNetworkRequest& request) = 0;
  // Whether Prepare gives this attempt a namespace (any thread).
  virtual bool Gives(const AttemptNetworkRequest& request) const = 0;
  // The attempt ended (or never started): its network goes. Unknown attempts are ignored. Any
  // thread.
  virtual void Release(const std::string& job_id, int attempt) = 0;
};

}  // namespace gleaner
