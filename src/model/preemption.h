#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gleaner {

// The tag that sets how interruptions (reclaimed or lost hosts) of a job's attempts count, on the
// job (SubmitJob's tags), its job definition or its job queue, in that order of precedence.
inline constexpr char kPreemptionRetriesTag[] = "gleaner:preemption-retries";

// How a job's interrupted attempts count: as AWS Batch counts them (each is an attempt, and the
// retry strategy decides), or apart from `attempts`, in the shape AWS gave its service jobs
// (preemptionRetriesBeforeTermination): requeued without spending an attempt, up to `retries`
// times (unlimited when unset), then the job fails.
struct PreemptionBudget {
  bool counts_as_attempts = true;
  std::optional<int> retries;

  bool operator==(const PreemptionBudget&) const = default;
};

inline constexpr int kMaxPreemptionRetries = 10'000;

// A tag value: "attempts" (AWS Batch's way), "unlimited", or a whole number of retries from 0 to
// kMaxPreemptionRetries. nullopt for anything else.
std::optional<PreemptionBudget> ParsePreemptionBudget(std::string_view text);
std::string FormatPreemptionBudget(const PreemptionBudget& budget);

// What a value that does not parse is told.
inline constexpr char kPreemptionBudgetRule[] =
    "must be \"attempts\", \"unlimited\" or a whole number of retries from 0 to 10000";

}  // namespace gleaner
