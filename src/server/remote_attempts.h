#pragma once

#include <string>

#include "api/agent_protocol.h"

namespace gleaner {

// Hosts whose attempts the engine does not run itself (agents that joined): it hands their
// launches and signals over instead of using its own launcher. Called on the scheduler thread.
class RemoteAttempts {
 public:
  virtual ~RemoteAttempts() = default;
  virtual bool Runs(const std::string& instance_id) const = 0;
  virtual void Launch(const std::string& instance_id, AttemptAssignment assignment) = 0;
  virtual void Signal(const std::string& instance_id, const AttemptSignal& signal) = 0;
};

}  // namespace gleaner
