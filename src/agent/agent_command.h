#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gleaner {

struct AgentCommandOptions {
  std::string server;                  // "http://HOST:PORT" of the gleaner server
  std::string cluster;                 // ECS cluster name or ARN of the compute environment to join
  std::string token;                   // default: $GLEANER_AGENT_TOKEN
  std::string token_file;              // the token's file, instead of --token
  std::string ca_file;                 // https servers: the CA certificates to trust (PEM)
  double vcpus = 0;                    // 0: what the machine has
  int64_t memory_mib = 0;              // 0: what the machine has
  std::optional<int64_t> gpus;         // default: the NVIDIA GPUs the machine has
  std::string work_dir;                // default: $HOME/.gleaner/agent
  std::string runtime = "auto";        // container, process or auto (ChooseRuntime)
  std::string image_pull = "default";  // ImagePullPolicy's words
  // Where other machines reach this one's attempts; default: the local address towards --server.
  std::string advertise_address;
};

// `gleaner agent`: joins a compute environment and runs its attempts on this machine until
// SIGINT or SIGTERM (which leave the attempts running). Returns the process exit code.
int RunAgentCommand(const AgentCommandOptions& options);

}  // namespace gleaner
