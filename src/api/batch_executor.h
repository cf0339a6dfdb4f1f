#pragma once

#include <nlohmann/json.hpp>

#include <functional>

#include "common/status.h"

namespace gleaner {

class BatchState;

// A unit of work on the scheduler's state: runs on the scheduler thread, may change the state, and
// returns the response body (or the error) for the client.
using BatchCommand = std::function<Result<nlohmann::json>(BatchState& state)>;
using BatchReply = std::function<void(Result<nlohmann::json>)>;

// Runs commands one at a time against BatchState and answers only once every change the command
// made is durable. `reply` may run on any thread.
class BatchExecutor {
 public:
  virtual ~BatchExecutor() = default;
  virtual void Execute(BatchCommand command, BatchReply reply) = 0;
};

}  // namespace gleaner
