#pragma once

#include <string>

#include "api/agent_protocol.h"

namespace gleaner {

// Attempts the engine does not run itself (placed on agents' hosts: AttemptPlacement::remote): it
// hands their launches and signals over instead of using its own launcher. Called on the scheduler
// thread.
class RemoteAttempts {
 public:
  virtual ~RemoteAttempts() = default;
  virtual void Launch(const std::string& instance_id, AttemptAssignment assignment) = 0;
  virtual void Signal(const std::string& instance_id, const AttemptSignal& signal) = 0;
};

}  // namespace gleaner
