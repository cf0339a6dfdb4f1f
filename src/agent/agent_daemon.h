#pragma once

// The agent daemon behind `gleaner agent`: joins a compute environment of a gleaner server and
// runs the attempts it is assigned (the agent protocol, src/api/README.md). See README.md here.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/status.h"
#include "model/resources.h"
#include "runtime/container_engine.h"
#include "runtime/container_launcher.h"

namespace gleaner {

struct AgentOptions {
  std::string server;   // "http://HOST:PORT" or "https://HOST:PORT"
  std::string cluster;  // ECS cluster name or ARN of the compute environment to join
  std::string token;    // sent as "Authorization: Bearer <token>" when not empty
  std::string ca_file;  // https: the CA certificates (PEM) to verify the server with
  std::string hostname;
  std::string private_ipv4_address;  // advertised to the server (AgentRegistration)
  Resources resources;               // what the agent offers
  std::string work_directory;
  std::string shim_executable;                     // a gleaner binary, for `attempt-shim`
  std::vector<std::string> inherited_environment;  // see InheritedEnvironment
  // Set: attempts run in their job's container on this engine (`--runtime container`).
  std::optional<ContainerEngine> container_engine;
  ImagePullPolicy image_pull_policy = ImagePullPolicy::kDefault;
};

class AgentDaemon {
 public:
  explicit AgentDaemon(AgentOptions options);
  ~AgentDaemon();
  AgentDaemon(const AgentDaemon&) = delete;
  AgentDaemon& operator=(const AgentDaemon&) = delete;

  // Runs until Stop(): takes up the attempts of an earlier run, registers (retrying every second
  // while the server cannot be reached), calls `on_joined` once registered, then polls for work,
  // runs attempts, ships their logs and reports. Returns an error when the server refuses the
  // registration (unknown cluster, wrong token) or the work directory cannot be used; Ok after
  // Stop(). Attempts are left running either way: the next run re-attaches them.
  Status Run(const std::function<void(const AgentRegistered&)>& on_joined);
  // Makes Run return soon. Thread-safe, also before or after Run.
  void Stop();

 private:
  class Core;
  std::unique_ptr<Core> core_;
};

}  // namespace gleaner
