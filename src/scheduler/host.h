#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/resources.h"

namespace gleaner {

// A machine attempts run on: this machine (local capacity), an instance of the simulated cloud or
// an agent that joined.
struct Host {
  std::string instance_id;
  std::string container_instance_arn;
  // The compute environment whose capacity this is; empty: every compute environment (local
  // capacity serves them all).
  std::string compute_environment_arn;
  Resources total;
  Resources used;
  bool accepting = true;  // false while booting or draining (after an interruption notice)
  // Launched but not ready: jobs waiting for capacity count on it instead of asking for more.
  bool booting = false;
  std::optional<EpochMillis> interruption_deadline;  // set by the interruption notice
  // An agent's machine: its attempts outlive a restart of the server (see BatchState::AddHost).
  bool remote = false;
  // Where the machine's attempts are reached from the others (an agent's advertised address, for
  // AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS); empty: this machine (127.0.0.1).
  std::string private_ipv4_address;
  // Which of its GPUs (0 .. total.gpus - 1) attempts hold: bit i set while GPU i is taken.
  uint64_t gpus_in_use = 0;

  Resources Free() const { return total - used; }
  bool Serves(const std::string& compute_environment_arn_wanted) const {
    return compute_environment_arn.empty() ||
           compute_environment_arn == compute_environment_arn_wanted;
  }
};

// What a capacity provider can still add to a compute environment it scales (MANAGED EC2/SPOT on
// the simulated cloud). The scheduler asks it for capacity only within these bounds, and a job
// that no instance type fits goes on to the next compute environment of its queue.
struct ScalingCapacity {
  int64_t room_millivcpus = 0;            // maxvCpus minus the vCPUs of its instances
  std::vector<Resources> instance_sizes;  // what one instance of each launchable type holds
  // Non-empty while nothing can launch (pools in recovery gaps, spot prices above bidPercentage):
  // waiting jobs go to the next compute environment, and ExplainWaiting quotes it.
  std::string blocked_reason;

  bool AnySizeFits(const Resources& required) const {
    for (const Resources& size : instance_sizes) {
      if (required.FitsIn(size)) return true;
    }
    return false;
  }
};

}  // namespace gleaner
