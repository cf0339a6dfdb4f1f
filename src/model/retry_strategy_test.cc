#include "model/retry_strategy.h"

#include <gtest/gtest.h>

#include <string>

namespace gleaner {
namespace {

constexpr char kHostTerminated[] = "Host EC2 (instance i-0123456789abcdef0) terminated.";
constexpr char kContainerExited[] = "Essential container in task exited";

AttemptOutcome ExitedWith(int exit_code) { return {kContainerExited, "", exit_code}; }
AttemptOutcome HostLost() { return {kHostTerminated, "", std::nullopt}; }

EvaluateOnExit Rule(std::optional<std::string> on_status_reason,
                    std::optional<std::string> on_reason, std::optional<std::string> on_exit_code,
                    std::string action) {
  return {std::move(on_status_reason), std::move(on_reason), std::move(on_exit_code),
          std::move(action)};
}

RetryStrategy Strategy(int attempts, std::vector<EvaluateOnExit> rules = {}) {
  return {attempts, std::move(rules)};
}

TEST(EvaluateRetry, WithoutAStrategyThereIsOneAttempt) {
  EXPECT_EQ(EvaluateRetry(std::nullopt, 1, ExitedWith(1)), RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(RetryStrategy{}, 1, ExitedWith(1)), RetryAction::kExit);
}

TEST(EvaluateRetry, RetriesUntilAttemptsAreUsedUp) {
  RetryStrategy strategy = Strategy(3);
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(1)), RetryAction::kRetry);
  EXPECT_EQ(EvaluateRetry(strategy, 2, ExitedWith(1)), RetryAction::kRetry);
  EXPECT_EQ(EvaluateRetry(strategy, 3, ExitedWith(1)), RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(strategy, 4, ExitedWith(1)), RetryAction::kExit);
}

TEST(EvaluateRetry, ExhaustedAttemptsWinOverARetryRule) {
  RetryStrategy strategy = Strategy(2, {Rule(std::nullopt, std::nullopt, "*", "RETRY")});
  EXPECT_EQ(EvaluateRetry(strategy, 2, ExitedWith(1)), RetryAction::kExit);
}

TEST(EvaluateRetry, NoMatchingRuleMeansRetry) {
  RetryStrategy strategy = Strategy(5, {Rule(std::nullopt, std::nullopt, "137", "EXIT")});
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(1)), RetryAction::kRetry);
}

TEST(EvaluateRetry, FirstMatchingRuleWins) {
  RetryStrategy strategy = Strategy(5, {Rule("Host EC2*", std::nullopt, std::nullopt, "RETRY"),
                                        Rule(std::nullopt, std::nullopt, "*", "EXIT")});
  EXPECT_EQ(EvaluateRetry(strategy, 1, HostLost()), RetryAction::kRetry);
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(3)), RetryAction::kExit);

  RetryStrategy reversed = Strategy(5, {Rule(std::nullopt, std::nullopt, "*", "EXIT"),
                                        Rule("Host EC2*", std::nullopt, std::nullopt, "RETRY")});
  EXPECT_EQ(EvaluateRetry(reversed, 1, HostLost()), RetryAction::kExit);
}

TEST(EvaluateRetry, AllConditionsOfARuleMustMatch) {
  RetryStrategy strategy = Strategy(5, {Rule("Essential*", "OutOfMemory*", "137", "EXIT")});
  EXPECT_EQ(EvaluateRetry(strategy, 1, {kContainerExited, "OutOfMemoryError", 137}),
            RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(strategy, 1, {kContainerExited, "OutOfMemoryError", 1}),
            RetryAction::kRetry);
  EXPECT_EQ(EvaluateRetry(strategy, 1, {kContainerExited, "other", 137}), RetryAction::kRetry);
  EXPECT_EQ(EvaluateRetry(strategy, 1, {kHostTerminated, "OutOfMemoryError", 137}),
            RetryAction::kRetry);
}

TEST(EvaluateRetry, ActionIsCaseInsensitive) {
  EXPECT_EQ(
      EvaluateRetry(Strategy(5, {Rule(std::nullopt, std::nullopt, "1", "exit")}), 1, ExitedWith(1)),
      RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(Strategy(5, {Rule(std::nullopt, std::nullopt, "1", "Retry"),
                                       Rule(std::nullopt, std::nullopt, "*", "EXIT")}),
                          1, ExitedWith(1)),
            RetryAction::kRetry);
}

TEST(EvaluateRetry, AbsentExitCodeMatchesOnlyTheWildcard) {
  RetryStrategy digits = Strategy(5, {Rule(std::nullopt, std::nullopt, "1*", "EXIT")});
  EXPECT_EQ(EvaluateRetry(digits, 1, HostLost()), RetryAction::kRetry);
  RetryStrategy wildcard = Strategy(5, {Rule(std::nullopt, std::nullopt, "*", "EXIT")});
  EXPECT_EQ(EvaluateRetry(wildcard, 1, HostLost()), RetryAction::kExit);
}

TEST(EvaluateRetry, ExitCodePatternsMatchTheDecimalCode) {
  RetryStrategy strategy = Strategy(5, {Rule(std::nullopt, std::nullopt, "13*", "EXIT")});
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(137)), RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(13)), RetryAction::kExit);
  EXPECT_EQ(EvaluateRetry(strategy, 1, ExitedWith(1)), RetryAction::kRetry);
}

TEST(EvaluateRetry, ARuleWithoutConditionsMatchesEverything) {
  EXPECT_EQ(EvaluateRetry(Strategy(5, {Rule(std::nullopt, std::nullopt, std::nullopt, "EXIT")}), 1,
                          HostLost()),
            RetryAction::kExit);
}

TEST(MatchesRetryPattern, StarsAnywhere) {
  EXPECT_TRUE(MatchesRetryPattern("*spot*", "Host EC2 spot instance reclaimed"));
  EXPECT_TRUE(MatchesRetryPattern("*spot*", "spot"));
  EXPECT_FALSE(MatchesRetryPattern("*spot*", "Host EC2 (instance i-1) terminated."));
  EXPECT_TRUE(MatchesRetryPattern("*terminated.", "Host EC2 (instance i-1) terminated."));
  EXPECT_TRUE(MatchesRetryPattern("Host*i-1*", "Host EC2 (instance i-1) terminated."));
  EXPECT_FALSE(MatchesRetryPattern("Host*i-2*", "Host EC2 (instance i-1) terminated."));
  EXPECT_TRUE(MatchesRetryPattern("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(MatchesRetryPattern("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(MatchesRetryPattern("**", ""));
  EXPECT_FALSE(
      MatchesRetryPattern("Cannot pull container*", "CannotPullContainerError: no such image"));
  // Many stars against a long mismatch finish at once (no exponential backtracking).
  EXPECT_FALSE(MatchesRetryPattern(std::string(200, '*') + "x", std::string(512, 'a')));
}

TEST(MatchesRetryPattern, ExactOrTrailingStarPrefix) {
  EXPECT_TRUE(MatchesRetryPattern("137", "137"));
  EXPECT_FALSE(MatchesRetryPattern("137", "1370"));
  EXPECT_FALSE(MatchesRetryPattern("13", "137"));
  EXPECT_TRUE(MatchesRetryPattern("13*", "137"));
  EXPECT_TRUE(MatchesRetryPattern("13*", "13"));
  EXPECT_TRUE(MatchesRetryPattern("*", ""));
  EXPECT_TRUE(MatchesRetryPattern("*", "anything at all"));
  EXPECT_TRUE(MatchesRetryPattern("Host EC2*", kHostTerminated));
  EXPECT_FALSE(MatchesRetryPattern("host ec2*", kHostTerminated));  // patterns are case-sensitive
  EXPECT_TRUE(MatchesRetryPattern("", ""));
  EXPECT_FALSE(MatchesRetryPattern("", "x"));
}

}  // namespace
}  // namespace gleaner
