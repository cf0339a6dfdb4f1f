#pragma once

#include <nlohmann/json.hpp>

#include <chrono>

#include "cli/gleaner_client.h"

namespace gleaner {

// `gleaner logs ARRAY-PARENT`: the output of every child that has started, each line prefixed
// with the child's index ("[3] ..."), a child's lines together and in index order; with `follow`,
// keeps printing what the children write (a retried child's new attempt from its start) until
// every child has ended. Returns the exit code.
int PrintArrayLogs(GleanerClient& client, const nlohmann::json& parent, bool follow,
                   std::chrono::milliseconds poll_interval);

}  // namespace gleaner
