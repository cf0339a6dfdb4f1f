#pragma once

#include <map>
#include <string>

#include "capacity/ec2_cloud.h"

namespace gleaner {

class BatchState;
struct StateChanges;

// The server's own account of what happens, one concise line per notable event on the server's
// log: jobs that failed (warn) or are retried after an attempt (info), jobs that succeeded
// (debug); instances launched and terminated, interruption notices (warn) and rebalance
// recommendations of the simulated cloud; a compute environment's instance count when it
// changes (scaled out or in). Scheduler thread, after each pass.
class ActivityLog {
 public:
  void Observe(const BatchState& state, const StateChanges& changes, const Ec2Cloud* cloud);

 private:
  void ObserveCloud(const Ec2Cloud& cloud);

  struct Told {
    InstanceState state = InstanceState::kPending;
    bool notice = false;
    bool rebalance = false;
  };
  std::map<std::string, Told> instances_;         // what was told of each instance, by id
  std::map<std::string, int> environment_sizes_;  // instances per compute environment, as told
  bool seen_cloud_ = false;
};

// Configures the server's log: `level` debug | info | warn | error; `format` text | json (one
// object per line: time, level, message). An unknown value is an InvalidArgument Status.
Status ConfigureServerLog(const std::string& level, const std::string& format);

}  // namespace gleaner
