#include "capacity/allocation.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "capacity/allocation_ranking.h"

namespace gleaner {
namespace {

constexpr std::array<std::pair<AllocationStrategy, std::string_view>, 4> kStrategyNames = {{
    {AllocationStrategy::kBestFit, "BEST_FIT"},
    {AllocationStrategy::kBestFitProgressive, "BEST_FIT_PROGRESSIVE"},
    {AllocationStrategy::kSpotCapacityOptimized, "SPOT_CAPACITY_OPTIMIZED"},
    {AllocationStrategy::kSpotPriceCapacityOptimized, "SPOT_PRICE_CAPACITY_OPTIMIZED"},
}};

constexpr std::string_view kJobResourceRequirement =
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) "
    "is higher than that can be met by the CE(s) attached to the job queue.";
constexpr std::string_view kComputeEnvironmentMaxResource =
    "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue "
    "cannot meet the CPU requirement of the job.";

// Offers this compute environment can buy at all: spot needs a spot offering.
std::vector<const PoolOffer*> EligibleOffers(const AllocationRequest& request) {
  std::vector<const PoolOffer*> eligible;
  for (const PoolOffer& offer : request.offers) {
    bool purchasable = request.purchase == PurchaseOption::kOnDemand ||
                       (offer.typical_spot_price && offer.spot_price);
    if (purchasable) eligible.push_back(&offer);
  }
  return eligible;
}

bool WithinMaxvCpus(const AllocationRequest& request, const PoolOffer& offer) {
  return offer.capacity.millivcpus <= int64_t{request.max_vcpus} * 1000;
}

bool AnyHolds(const std::vector<const PoolOffer*>& offers, const Resources& need,
              const AllocationRequest& request) {
  return std::any_of(offers.begin(), offers.end(), [&](const PoolOffer* offer) {
    return need.FitsIn(offer->capacity) && WithinMaxvCpus(request, *offer);
  });
}

Resources LargestOf(const Resources& a, const Resources& b) {
  return {std::max(a.millivcpus, b.millivcpus), std::max(a.memory_mib, b.memory_mib),
          std::max(a.gpus, b.gpus)};
}

struct JobSelection {
  std::vector<size_t> infeasible;
  AllocationReason infeasible_reason = AllocationReason::kNone;  // of the first infeasible job
  std::vector<size_t> selected;  // feasible jobs one type can hold together, in queue order
  Resources largest;             // their per-dimension maximum
};

JobSelection SelectJobs(const AllocationRequest& request,
                        const std::vector<const PoolOffer*>& eligible) {
  JobSelection selection;
  for (size_t index = 0; index < request.jobs.size(); ++index) {
    const Resources& job = request.jobs[index];
    if (!AnyHolds(eligible, job, request)) {
      bool fits_some_type = std::any_of(eligible.begin(), eligible.end(), [&](const PoolOffer* o) {
        return job.FitsIn(o->capacity);
      });
      if (selection.infeasible.empty()) {
        selection.infeasible_reason = fits_some_type ? AllocationReason::kJobExceedsMaxvCpus
                                                     : AllocationReason::kNoInstanceTypeFits;
      }
      selection.infeasible.push_back(index);
      continue;
    }
    Resources largest = LargestOf(selection.largest, job);
    if (!AnyHolds(eligible, largest, request)) continue;  // a later call plans it
    selection.largest = largest;
    selection.selected.push_back(index);
  }
  return selection;
}

std::vector<const PoolOffer*> OffersHolding(const AllocationRequest& request,
                                            const std::vector<const PoolOffer*>& eligible,
                                            const Resources& largest) {
  std::vector<const PoolOffer*> fitting;
  for (const PoolOffer* offer : eligible) {
    if (largest.FitsIn(offer->capacity) && WithinMaxvCpus(request, *offer)) {
      fitting.push_back(offer);
    }
  }
  return fitting;
}

struct Packing {
  std::vector<PoolLaunch> launches;
  std::vector<size_t> planned_jobs;
};

// First-fit decreasing: the largest jobs first, each into the first instance with room, else into
// a new instance from the best pool that still has instances to give and fits in maxvCpus.
Packing PackJobs(const AllocationRequest& request, const std::vector<const PoolOffer*>& ranked,
                 std::vector<size_t> jobs) {
  std::stable_sort(jobs.begin(), jobs.end(), [&](size_t a, size_t b) {
    const Resources& x = request.jobs[a];
    const Resources& y = request.jobs[b];
    return std::tie(y.millivcpus, y.memory_mib, y.gpus) <
           std::tie(x.millivcpus, x.memory_mib, x.gpus);
  });
  struct OpenInstance {
    size_t rank;
    Resources free;
  };
  std::vector<OpenInstance> instances;
  std::vector<int> launched(ranked.size(), 0);
  int64_t free_millivcpus = int64_t{request.max_vcpus - request.current_vcpus} * 1000;
  Packing packing;
  for (size_t job : jobs) {
    const Resources& need = request.jobs[job];
    auto open = std::find_if(instances.begin(), instances.end(),
                             [&](const OpenInstance& i) { return need.FitsIn(i.free); });
    if (open == instances.end()) {
      size_t rank = 0;
      while (rank < ranked.size() && ((request.max_instances_per_pool > 0 &&
                                       launched[rank] >= request.max_instances_per_pool) ||
                                      ranked[rank]->capacity.millivcpus > free_millivcpus)) {
        ++rank;
      }
      if (rank == ranked.size()) continue;  // no room: the job waits for a later call
      ++launched[rank];
      free_millivcpus -= ranked[rank]->capacity.millivcpus;
      instances.push_back({rank, ranked[rank]->capacity});
      open = instances.end() - 1;
    }
    open->free -= need;
    packing.planned_jobs.push_back(job);
  }
  for (size_t rank = 0; rank < ranked.size(); ++rank) {
    if (launched[rank] > 0) packing.launches.push_back({ranked[rank]->pool, launched[rank]});
  }
  std::sort(packing.planned_jobs.begin(), packing.planned_jobs.end());
  return packing;
}

Resources SumOf(const AllocationRequest& request, const std::vector<size_t>& jobs) {
  Resources sum;
  for (size_t job : jobs) sum += request.jobs[job];
  return sum;
}

AllocationResult NotLaunching(AllocationOutcome outcome, AllocationReason reason,
                              std::string status_reason, std::vector<size_t> infeasible) {
  AllocationResult result;
  result.outcome = outcome;
  result.reason = reason;
  result.status_reason = std::move(status_reason);
  result.infeasible_jobs = std::move(infeasible);
  return result;
}

std::string MaxvCpusReachedReason(const AllocationRequest& request) {
  return "CAPACITY:COMPUTE_ENVIRONMENT_MAX_VCPUS - The compute environment uses " +
         std::to_string(request.current_vcpus) + " of maxvCpus " +
         std::to_string(request.max_vcpus) + "; no fitting instance type fits in the rest";
}

}  // namespace

Result<AllocationStrategy> ParseAllocationStrategy(std::string_view name) {
  if (name.empty()) return AllocationStrategy::kBestFit;
  for (const auto& [strategy, strategy_name] : kStrategyNames) {
    if (name == strategy_name) return strategy;
  }
  return Status::InvalidArgument(
      "allocationStrategy '" + std::string(name) +
      "' is not one of BEST_FIT, BEST_FIT_PROGRESSIVE, SPOT_CAPACITY_OPTIMIZED, "
      "SPOT_PRICE_CAPACITY_OPTIMIZED");
}

std::string_view AllocationStrategyName(AllocationStrategy strategy) {
  for (const auto& [known, name] : kStrategyNames) {
    if (known == strategy) return name;
  }
  return "BEST_FIT";
}

AllocationResult Allocate(const AllocationRequest& request) {
  std::vector<const PoolOffer*> eligible = EligibleOffers(request);
  JobSelection selection = SelectJobs(request, eligible);
  if (selection.selected.empty()) {
    if (selection.infeasible.empty()) {
      return NotLaunching(AllocationOutcome::kWait, AllocationReason::kNone, "", {});
    }
    bool above_max = selection.infeasible_reason == AllocationReason::kJobExceedsMaxvCpus;
    return NotLaunching(
        AllocationOutcome::kInfeasible, selection.infeasible_reason,
        std::string(above_max ? kComputeEnvironmentMaxResource : kJobResourceRequirement),
        std::move(selection.infeasible));
  }
  std::vector<const PoolOffer*> fitting = OffersHolding(request, eligible, selection.largest);
  PoolRanking ranking = RankPools(request, fitting, SumOf(request, selection.selected));
  if (ranking.pools.empty()) {
    return NotLaunching(AllocationOutcome::kWait, ranking.reason, std::move(ranking.status_reason),
                        std::move(selection.infeasible));
  }
  Packing packing = PackJobs(request, ranking.pools, selection.selected);
  if (packing.launches.empty()) {  // every ranked type is larger than what maxvCpus leaves
    return NotLaunching(AllocationOutcome::kWait, AllocationReason::kMaxvCpusReached,
                        MaxvCpusReachedReason(request), std::move(selection.infeasible));
  }
  AllocationResult result;
  result.outcome = AllocationOutcome::kLaunch;
  result.launches = std::move(packing.launches);
  result.planned_jobs = std::move(packing.planned_jobs);
  result.infeasible_jobs = std::move(selection.infeasible);
  return result;
}

}  // namespace gleaner
