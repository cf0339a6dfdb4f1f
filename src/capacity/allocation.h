#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "capacity/capacity_pool.h"
#include "capacity/pool_offer.h"
#include "common/status.h"
#include "model/resources.h"

namespace gleaner {

enum class AllocationStrategy {
  kBestFit,                     // BEST_FIT: the cheapest type that fits; waits for it
  kBestFitProgressive,          // BEST_FIT_PROGRESSIVE: falls back to other fitting types
  kSpotCapacityOptimized,       // SPOT_CAPACITY_OPTIMIZED: least interrupted pools first
  kSpotPriceCapacityOptimized,  // SPOT_PRICE_CAPACITY_OPTIMIZED: low interruption, then price
};

// AWS's names; "" is BEST_FIT (the default). Other names are InvalidArgument listing the four.
Result<AllocationStrategy> ParseAllocationStrategy(std::string_view name);
std::string_view AllocationStrategyName(AllocationStrategy strategy);

enum class PurchaseOption { kOnDemand, kSpot };  // computeResources.type EC2 | SPOT

// One scaling decision for one compute environment.
struct AllocationRequest {
  AllocationStrategy strategy = AllocationStrategy::kBestFit;
  PurchaseOption purchase = PurchaseOption::kOnDemand;
  int bid_percentage =
      100;  // spot only: a pool whose price is above this % of on-demand is unusable
  std::vector<PoolOffer> offers;  // the compute environment's pools (instanceTypes × subnet zones)
  std::vector<Resources> jobs;    // what each waiting (RUNNABLE) job needs, in queue order
  int max_vcpus = 0;              // maxvCpus
  int current_vcpus = 0;          // vCPUs of its instances, running or launching
  int max_instances_per_pool = 0;  // 0: a pool launches as many instances as asked
};

// Mirrors Ray's SUCCESS / FAILED (retry later) / INFEASIBLE (can never fit).
enum class AllocationOutcome {
  kLaunch,      // launch the plan
  kWait,        // nothing can launch now; the jobs stay RUNNABLE
  kInfeasible,  // no job can ever run in this compute environment
};

enum class AllocationReason {
  kNone,
  kNoInstanceTypeFits,    // infeasible: no type of the CE has the job's vCPU/memory/GPU
  kJobExceedsMaxvCpus,    // infeasible: the fitting types are larger than maxvCpus
  kMaxvCpusReached,       // wait: no fitting instance fits in maxvCpus minus what runs
  kInsufficientCapacity,  // wait: the fitting pools are in recovery gaps (or full)
  kSpotPriceAboveBid,     // wait: the fitting pools' spot prices are above bidPercentage
};

struct PoolLaunch {
  CapacityPool pool;
  int count = 0;

  bool operator==(const PoolLaunch&) const = default;
};

struct AllocationResult {
  AllocationOutcome outcome = AllocationOutcome::kWait;
  AllocationReason reason = AllocationReason::kNone;
  std::string status_reason;  // AWS-style text for jobs that wait or cannot run; empty on launch
  std::vector<PoolLaunch> launches;     // kLaunch: instances per pool, best pool first
  std::vector<size_t> planned_jobs;     // indices of the jobs the launches make room for
  std::vector<size_t> infeasible_jobs;  // indices of jobs no instance of this CE can ever run
};

// Chooses the instances to launch for the waiting jobs (pure: same request, same result).
//
// Jobs that fit no type of the CE (or only types above maxvCpus) are infeasible. The others are
// taken in queue order while one type can still hold the largest of them ("the largest job", the
// per-dimension maximum); the strategy ranks the pools whose type fits that job; the jobs are
// packed first-fit-decreasing into instances from the ranked pools, while the CE's maxvCpus has
// room. Jobs neither planned nor infeasible are left for a later call.
AllocationResult Allocate(const AllocationRequest& request);

}  // namespace gleaner
