#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace gleaner {

struct InterruptCommandOptions {
  std::string endpoint;
  std::string job_id;
  std::string instance_id;
  std::string compute_environment;
  std::optional<int> count;
  std::optional<double> percent;
  std::string notice;          // a duration: "5s", "2m", "120" (seconds); empty: the profile's
  std::string rebalance_lead;  // a duration; empty: no rebalance recommendation
};

// "500ms", "5s", "2m", "1h" or a plain number of seconds -> milliseconds.
Result<int64_t> ParseDurationMillis(const std::string& text);

// `gleaner interrupt`: gives the target's instances an interruption notice through the server's
// /gleaner/v1/interrupt and prints each instance with its notice and termination time. Returns the
// exit code.
int RunInterruptCommand(const InterruptCommandOptions& options);

}  // namespace gleaner
