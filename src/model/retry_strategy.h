#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/job_definition.h"

namespace gleaner {

// How an attempt ended, as the retry rules see it.
struct AttemptOutcome {
  std::string status_reason;     // e.g. "Essential container in task exited"
  std::string reason;            // the container's reason
  std::optional<int> exit_code;  // absent when the process never exited on its own
};

enum class RetryAction { kRetry, kExit };

// AWS's rules: the first evaluateOnExit rule whose conditions all match decides; no rule matching
// means retry. Either way there is no retry once `attempts_made` reaches the strategy's attempts
// (default 1).
RetryAction EvaluateRetry(const std::optional<RetryStrategy>& strategy, int attempts_made,
                          const AttemptOutcome& outcome);

// AWS's pattern match, a glob: '*' anywhere matches any run of characters ("*spot*",
// "Host EC2*"); everything else matches itself, case-sensitively.
bool MatchesRetryPattern(std::string_view pattern, std::string_view value);

}  // namespace gleaner
