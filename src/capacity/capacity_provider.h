#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/resources.h"

namespace gleaner {

class BatchState;

// Where hosts come from beyond those added once at start (local capacity): the simulated cloud
// today, agents later. Runs on the scheduler thread, between the engine's passes.
class CapacityProvider {
 public:
  virtual ~CapacityProvider() = default;
  // Brings the provider up to now: hosts ready, notices, deadlines, scale-in; and tells the
  // state what each compute environment it scales may still add.
  virtual void Advance(BatchState& state) = 0;
  // Adds capacity for a Schedule() pass's requests (Decisions::capacity_requests).
  virtual void Provide(BatchState& state,
                       const std::map<std::string, std::vector<Resources>>& requests) = 0;
  // When Advance next has something to do; nullopt: only when something else happens.
  virtual std::optional<EpochMillis> NextEventAt() const = 0;
};

}  // namespace gleaner
