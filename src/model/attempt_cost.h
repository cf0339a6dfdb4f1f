#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "model/resources.h"

namespace gleaner {

// The kind of capacity an attempt ran on, which says how it is priced.
enum class CapacityLifecycle {
  kUnpriced,     // no price known (a server without a price list, or a host gone unrecorded)
  kOnDemand,     // a simulated EC2 instance at the on-demand price
  kSpot,         // a simulated EC2 spot instance at its pool's spot price over time
  kFargate,      // per vCPU-hour and GB-hour
  kFargateSpot,  // the same at Fargate Spot's rates
  kLocal,        // this machine: a price per vCPU-hour the user sets (default 0)
  kAgent,        // an agent's machine: likewise
};

// "on-demand", "spot", "fargate", "fargate-spot", "local", "agent", "unpriced".
std::string_view LifecycleName(CapacityLifecycle lifecycle);
std::optional<CapacityLifecycle> LifecycleNamed(std::string_view name);

// How an attempt ended, as far as its cost goes: what an interrupted attempt cost is work lost to
// the reclaim.
enum class AttemptEnding {
  kSucceeded,
  kFailed,       // the job's own failure (exit code, launch failure, timeout)
  kInterrupted,  // its host was reclaimed or lost
  kTerminated,   // TerminateJob / CancelJob
};

// "succeeded", "failed", "interrupted", "terminated".
std::string_view OutcomeName(AttemptEnding outcome);
std::optional<AttemptEnding> OutcomeNamed(std::string_view name);

// What one attempt's reservation cost: gleaner's bookkeeping, kept with the job (not part of
// AWS's shape). The instance's cost is split over what ran on it as AWS's split cost allocation
// does (SplitRatio); what no attempt reserved is the instance's idle cost, worked out per
// instance when the costs are reported.
struct AttemptCost {
  std::string instance_id;
  std::string instance_type;  // "m5.large", "fargate"; empty for local capacity and agents
  std::string compute_environment_arn;
  CapacityLifecycle lifecycle = CapacityLifecycle::kUnpriced;
  AttemptEnding outcome = AttemptEnding::kSucceeded;
  EpochMillis from = 0;  // its reservation was placed (STARTING)
  EpochMillis to = 0;    // the attempt ended
  Resources reserved;
  double split_ratio = 0;    // its share of the instance
  double usd = 0;            // that share of what the instance cost over [from, to]
  double on_demand_usd = 0;  // the same share at the on-demand price: the savings baseline

  bool operator==(const AttemptCost&) const = default;
};

// AWS split cost allocation: an instance's cost is divided by vCPU and memory weighted 9:1 (one
// unit = hourly cost / (9 x vCPUs + memory GiB)); on an instance with GPUs, GPUs weigh 9:1
// against vCPU and memory together. Usage is the reservation (gleaner does not meter use, and AWS
// takes the reservation when usage is unknown). In [0, 1]; 0 for an instance with no capacity.
double SplitRatio(const Resources& reserved, const Resources& instance);

}  // namespace gleaner
