#pragma once

#include <cstdint>
#include <string>

namespace gleaner {

struct UpOptions {
  std::string listen = "127.0.0.1:8686";
  std::string data_dir;  // default: $HOME/.gleaner
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  double vcpus = 0;        // 0: what the machine has
  int64_t memory_mib = 0;  // 0: what the machine has
  int stop_grace_seconds = 30;
  double job_retention_days = 7;  // finished jobs stay visible this long
  int http_threads = 2;
};

// `gleaner up`: the all-in-one control plane with embedded SQLite and this machine as capacity.
// Runs until SIGINT or SIGTERM; returns the process exit code.
int RunUpCommand(const UpOptions& options);

}  // namespace gleaner
