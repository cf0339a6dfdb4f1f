#include "model/retry_strategy.h"

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "common/glob.h"

namespace gleaner {
namespace {

// Without a strategy (or its attempts) a job gets one attempt: no retries.
constexpr int kDefaultAttempts = 1;

// An absent condition places no constraint.
bool ConditionMatches(const std::optional<std::string>& pattern, std::string_view value) {
  return !pattern || MatchesRetryPattern(*pattern, value);
}

// A process that never exited on its own has no code to compare, so only "*" (anything) matches.
bool ExitCodeMatches(const std::optional<std::string>& pattern, std::optional<int> exit_code) {
  if (!pattern) return true;
  if (!exit_code) return *pattern == "*";
  return MatchesRetryPattern(*pattern, std::to_string(*exit_code));
}

bool RuleMatches(const EvaluateOnExit& rule, const AttemptOutcome& outcome) {
  return ConditionMatches(rule.on_status_reason, outcome.status_reason) &&
         ConditionMatches(rule.on_reason, outcome.reason) &&
         ExitCodeMatches(rule.on_exit_code, outcome.exit_code);
}

// Anything but RETRY ends the job: validation refuses other actions, and ending is the choice that
// cannot loop forever if one slips through.
RetryAction ActionOf(const EvaluateOnExit& rule) {
  return EqualsIgnoringAsciiCase(rule.action, "RETRY") ? RetryAction::kRetry : RetryAction::kExit;
}

}  // namespace

RetryAction EvaluateRetry(const std::optional<RetryStrategy>& strategy, int attempts_made,
                          const AttemptOutcome& outcome) {
  int attempts = strategy && strategy->attempts ? *strategy->attempts : kDefaultAttempts;
  if (attempts_made >= attempts) return RetryAction::kExit;
  if (!strategy) return RetryAction::kRetry;
  for (const EvaluateOnExit& rule : strategy->evaluate_on_exit) {
    if (RuleMatches(rule, outcome)) return ActionOf(rule);
  }
  return RetryAction::kRetry;
}

bool MatchesRetryPattern(std::string_view pattern, std::string_view value) {
  return MatchesGlob(pattern, value, /*question_mark_is_wild=*/false);
}

}  // namespace gleaner
