#pragma once

// Shared by the files that implement Batch operations; not for other modules.

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "api/batch_executor.h"

namespace gleaner {

// Parses with `parse`; on success runs `run(state, request)` on the scheduler thread and replies
// with what it returns. A parse error is answered at once, without touching the scheduler.
template <typename Parse, typename Run>
void ParseAndExecute(const nlohmann::json& body, BatchExecutor& executor, BatchReply reply,
                     Parse parse, Run run) {
  auto request = parse(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  executor.Execute(
      [request = std::move(request).value(),
       run](BatchState& state) mutable -> Result<nlohmann::json> { return run(state, request); },
      std::move(reply));
}

inline void AddNextToken(nlohmann::json& response, const std::string& next_token) {
  if (!next_token.empty()) response["nextToken"] = next_token;
}

}  // namespace gleaner
