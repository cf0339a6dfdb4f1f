#include "capacity/allocation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capacity/capacity_test_support.h"
#include "capacity/interruption_model.h"

namespace gleaner {
namespace {

using ::testing::HasSubstr;

// Typical spot prices: small.large 0.04, small.xlarge 0.08, mid.xlarge 0.10, cheap.xlarge 0.05,
// big.4xlarge 0.168, gpu.2xlarge 0.60; od.metal has no spot offering.
constexpr char kRows[] =
    "small.large,2,4096,0,0.080,50,4\n"
    "small.xlarge,4,8192,0,0.160,50,4\n"
    "mid.xlarge,4,16384,0,0.250,60,0\n"
    "cheap.xlarge,4,16384,0,0.200,75,1\n"
    "big.4xlarge,16,65536,0,0.560,70,2\n"
    "gpu.2xlarge,8,32768,1,1.500,60,1\n"
    "od.metal,64,262144,0,5.000,,\n";

Resources Job(int vcpus, int64_t memory_mib, int64_t gpus = 0) {
  return {int64_t{vcpus} * 1000, memory_mib, gpus};
}

class Allocation : public ::testing::Test {
 protected:
  // Every type in zones z1 and z2, spot priced at the advisor's typical price, all available.
  AllocationRequest Request(AllocationStrategy strategy, PurchaseOption purchase,
                            std::vector<Resources> jobs) {
    AllocationRequest request;
    request.strategy = strategy;
    request.purchase = purchase;
    request.jobs = std::move(jobs);
    request.max_vcpus = 256;
    for (const auto& [name, type] : catalog_.types()) {
      for (const char* zone : {"z1", "z2"}) {
        PoolOffer offer;
        offer.pool = {name, zone};
        offer.capacity = type.Capacity();
        offer.on_demand_price = type.on_demand_price;
        offer.typical_spot_price = type.TypicalSpotPrice();
        offer.spot_price = type.TypicalSpotPrice();
        if (type.spot) offer.interruption_bucket = type.spot->interruption_bucket;
        request.offers.push_back(offer);
      }
    }
    return request;
  }
  static PoolOffer& OfferFor(AllocationRequest& request, const std::string& type,
                             const std::string& zone) {
    for (PoolOffer& offer : request.offers) {
      if (offer.pool == CapacityPool{type, zone}) return offer;
    }
    ADD_FAILURE() << "no offer " << type << "@" << zone;
    return request.offers.front();
  }
  static void PutInRecoveryGap(AllocationRequest& request, const std::string& type) {
    OfferFor(request, type, "z1").in_recovery_gap = true;
    OfferFor(request, type, "z2").in_recovery_gap = true;
  }

  InstanceCatalog catalog_ = testing::CatalogOf(kRows);
};

std::vector<PoolLaunch> Launches(std::initializer_list<PoolLaunch> launches) { return launches; }

TEST_F(Allocation, BestFitLaunchesTheCheapestTypeThatFitsTheLargestJob) {
  AllocationResult result = Allocate(Request(
      AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(2, 2048), Job(3, 1024)}));
  ASSERT_EQ(result.outcome, AllocationOutcome::kLaunch) << result.status_reason;
  // The largest job needs 3 vCPUs: small.xlarge ($0.16) is the cheapest type with 4.
  EXPECT_EQ(result.launches, Launches({{{"small.xlarge", "z1"}, 2}}));
  EXPECT_EQ(result.planned_jobs, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(result.infeasible_jobs.empty());
  EXPECT_TRUE(result.status_reason.empty());
}

TEST_F(Allocation, JobsArePackedFirstFitDecreasing) {
  std::vector<Resources> jobs(5, Job(1, 1024));
  AllocationResult result =
      Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, jobs));
  EXPECT_EQ(result.launches, Launches({{{"small.large", "z1"}, 3}}));  // 2 + 2 + 1 jobs
  EXPECT_EQ(result.planned_jobs.size(), 5u);
}

TEST_F(Allocation, BestFitUsesTheCheapestZoneOfItsType) {
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kSpot, {Job(2, 2048)});
  OfferFor(request, "small.large", "z2").spot_price = 39'000;
  EXPECT_EQ(Allocate(request).launches, Launches({{{"small.large", "z2"}, 1}}));
}

TEST_F(Allocation, BestFitWaitsForItsTypeWhereProgressiveFallsBack) {
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kSpot, {Job(2, 2048)});
  PutInRecoveryGap(request, "small.large");

  AllocationResult best_fit = Allocate(request);
  EXPECT_EQ(best_fit.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(best_fit.reason, AllocationReason::kInsufficientCapacity);
  EXPECT_EQ(best_fit.status_reason,
            "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity "
            "requested for instance type [small.large]");
  EXPECT_TRUE(best_fit.launches.empty());

  request.strategy = AllocationStrategy::kBestFitProgressive;
  AllocationResult progressive = Allocate(request);
  ASSERT_EQ(progressive.outcome, AllocationOutcome::kLaunch);
  EXPECT_EQ(progressive.launches, Launches({{{"cheap.xlarge", "z1"}, 1}}));  // next cheapest
}

TEST_F(Allocation, ProgressivePrefersCheaperPerVcpuForALargeDemand) {
  std::vector<Resources> jobs(8, Job(4, 4096));  // 32 vCPUs in all
  AllocationResult progressive =
      Allocate(Request(AllocationStrategy::kBestFitProgressive, PurchaseOption::kOnDemand, jobs));
  // 2 × big.4xlarge ($0.035 per vCPU) cost less than 8 × small.xlarge ($0.04 per vCPU).
  EXPECT_EQ(progressive.launches, Launches({{{"big.4xlarge", "z1"}, 2}}));
  AllocationResult best_fit =
      Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, jobs));
  EXPECT_EQ(best_fit.launches, Launches({{{"small.xlarge", "z1"}, 8}}));
}

TEST_F(Allocation, CapacityOptimizedPicksTheLowestInterruptionBucket) {
  AllocationResult result = Allocate(
      Request(AllocationStrategy::kSpotCapacityOptimized, PurchaseOption::kSpot, {Job(2, 2048)}));
  EXPECT_EQ(result.launches, Launches({{{"mid.xlarge", "z1"}, 1}}));  // bucket 0
}

TEST_F(Allocation, PriceCapacityOptimizedTakesTheCheapestHighCapacityPool) {
  AllocationRequest request = Request(AllocationStrategy::kSpotPriceCapacityOptimized,
                                      PurchaseOption::kSpot, {Job(2, 2048)});
  // Buckets 0-1 form the high-capacity band: cheap.xlarge (bucket 1, $0.05) beats mid.xlarge
  // (bucket 0, $0.10); small.large ($0.04) is cheaper still but in bucket 4.
  EXPECT_EQ(Allocate(request).launches, Launches({{{"cheap.xlarge", "z1"}, 1}}));

  // Without buckets 0 and 1 the band moves up: big.4xlarge (bucket 2) before anything in 4.
  PutInRecoveryGap(request, "mid.xlarge");
  PutInRecoveryGap(request, "cheap.xlarge");
  PutInRecoveryGap(request, "gpu.2xlarge");
  EXPECT_EQ(Allocate(request).launches, Launches({{{"big.4xlarge", "z1"}, 1}}));
}

TEST_F(Allocation, BidPercentageExcludesPoolsPricedAboveIt) {
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kSpot, {Job(2, 2048)});
  request.bid_percentage = 30;  // small.* cost 50 % of on-demand, cheap.xlarge 25 %, big 30 %
  AllocationResult best_fit = Allocate(request);
  EXPECT_EQ(best_fit.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(best_fit.reason, AllocationReason::kSpotPriceAboveBid);
  EXPECT_THAT(best_fit.status_reason, HasSubstr("[small.large] is above bidPercentage 30"));

  request.strategy = AllocationStrategy::kBestFitProgressive;
  EXPECT_EQ(Allocate(request).launches, Launches({{{"cheap.xlarge", "z1"}, 1}}));

  // A drifted price above the cap excludes just that pool.
  OfferFor(request, "cheap.xlarge", "z1").spot_price = 61'000;  // 30.5 % of $0.20
  EXPECT_EQ(Allocate(request).launches, Launches({{{"cheap.xlarge", "z2"}, 1}}));

  request.bid_percentage = 20;
  AllocationResult nothing = Allocate(request);
  EXPECT_EQ(nothing.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(nothing.reason, AllocationReason::kSpotPriceAboveBid);
}

TEST_F(Allocation, OnDemandIgnoresBidAndRecoveryGaps) {
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(2, 2048)});
  request.bid_percentage = 1;
  PutInRecoveryGap(request, "small.large");
  EXPECT_EQ(Allocate(request).launches, Launches({{{"small.large", "z1"}, 1}}));
}

TEST_F(Allocation, JobThatNoTypeFitsIsInfeasible) {
  AllocationResult result =
      Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(1, 1024, 2)}));
  EXPECT_EQ(result.outcome, AllocationOutcome::kInfeasible);
  EXPECT_EQ(result.reason, AllocationReason::kNoInstanceTypeFits);
  EXPECT_EQ(result.status_reason,
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
            "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job "
            "queue.");
  EXPECT_EQ(result.infeasible_jobs, (std::vector<size_t>{0}));
}

TEST_F(Allocation, SpotCannotUseTypesWithoutASpotOffering) {
  std::vector<Resources> jobs = {Job(20, 4096)};  // only od.metal has 20 vCPUs
  EXPECT_EQ(Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kSpot, jobs)).reason,
            AllocationReason::kNoInstanceTypeFits);
  EXPECT_EQ(
      Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, jobs)).launches,
      Launches({{{"od.metal", "z1"}, 1}}));
}

TEST_F(Allocation, JobLargerThanMaxvCpusIsInfeasible) {
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(20, 4096)});
  request.max_vcpus = 32;  // od.metal has 64
  AllocationResult result = Allocate(request);
  EXPECT_EQ(result.outcome, AllocationOutcome::kInfeasible);
  EXPECT_EQ(result.reason, AllocationReason::kJobExceedsMaxvCpus);
  EXPECT_THAT(result.status_reason, HasSubstr("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"));
}

TEST_F(Allocation, InfeasibleJobsDoNotBlockTheOthers) {
  AllocationResult result = Allocate(Request(
      AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(1, 1024, 2), Job(2, 2048)}));
  EXPECT_EQ(result.outcome, AllocationOutcome::kLaunch);
  EXPECT_EQ(result.infeasible_jobs, (std::vector<size_t>{0}));
  EXPECT_EQ(result.planned_jobs, (std::vector<size_t>{1}));
  EXPECT_EQ(result.launches, Launches({{{"small.large", "z1"}, 1}}));
}

TEST_F(Allocation, JobsNoSingleTypeHoldsWithTheFirstWaitForALaterCall) {
  // The first job needs 20 vCPUs (od.metal), the second a GPU: no type has both.
  AllocationResult result = Allocate(Request(
      AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {Job(20, 4096), Job(1, 1024, 1)}));
  EXPECT_EQ(result.launches, Launches({{{"od.metal", "z1"}, 1}}));
  EXPECT_EQ(result.planned_jobs, (std::vector<size_t>{0}));
  EXPECT_TRUE(result.infeasible_jobs.empty());
}

TEST_F(Allocation, MaxvCpusLimitsTheLaunch) {
  std::vector<Resources> jobs(10, Job(2, 2048));
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, jobs);
  request.max_vcpus = 8;
  AllocationResult result = Allocate(request);
  EXPECT_EQ(result.launches, Launches({{{"small.large", "z1"}, 4}}));
  EXPECT_EQ(result.planned_jobs, (std::vector<size_t>{0, 1, 2, 3}));

  request.jobs = {Job(3, 1024)};  // small.xlarge (4 vCPUs) does not fit in the 2 left
  request.current_vcpus = 6;
  AllocationResult full = Allocate(request);
  EXPECT_EQ(full.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(full.reason, AllocationReason::kMaxvCpusReached);
  EXPECT_THAT(full.status_reason, HasSubstr("uses 6 of maxvCpus 8"));
}

TEST_F(Allocation, FullPoolsSpreadOverZonesAndThenTypes) {
  std::vector<Resources> jobs(3, Job(2, 2048));
  AllocationRequest request =
      Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, jobs);
  request.max_instances_per_pool = 1;
  AllocationResult best_fit = Allocate(request);
  EXPECT_EQ(best_fit.launches, Launches({{{"small.large", "z1"}, 1}, {{"small.large", "z2"}, 1}}));
  EXPECT_EQ(best_fit.planned_jobs.size(), 2u);  // BEST_FIT keeps to its type

  request.strategy = AllocationStrategy::kBestFitProgressive;
  AllocationResult progressive = Allocate(request);
  EXPECT_EQ(progressive.launches, Launches({{{"small.large", "z1"}, 1},
                                            {{"small.large", "z2"}, 1},
                                            {{"small.xlarge", "z1"}, 1}}));
  EXPECT_EQ(progressive.planned_jobs.size(), 3u);
}

TEST_F(Allocation, NoJobsNothingToDo) {
  AllocationResult result =
      Allocate(Request(AllocationStrategy::kBestFit, PurchaseOption::kOnDemand, {}));
  EXPECT_EQ(result.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(result.reason, AllocationReason::kNone);
  EXPECT_TRUE(result.launches.empty());
}

TEST_F(Allocation, RecoveryGapBlocksAPoolThenFreesIt) {
  InstanceCatalog catalog = testing::CatalogOf("solo.large,2,4096,0,0.100,50,4\n");
  std::vector<InstanceType> types = {*catalog.Find("solo.large")};
  SpotPriceModel prices(catalog, 11);
  InterruptionModel interruptions(catalog, InterruptionProfile::Aws(), 11, 0);
  CapacityPool pool{"solo.large", "us-east-1a"};
  EpochMillis reclaim = *interruptions.NextInterruption(pool, 0);

  auto allocate_at = [&](EpochMillis now) {
    AllocationRequest request;
    request.purchase = PurchaseOption::kSpot;
    request.max_vcpus = 16;
    request.jobs = {Job(2, 2048)};
    request.offers = BuildPoolOffers(types, {"us-east-1a"}, prices, interruptions, now);
    return Allocate(request);
  };
  EXPECT_EQ(allocate_at(reclaim - 1).outcome, AllocationOutcome::kLaunch);
  AllocationResult blocked = allocate_at(reclaim);
  EXPECT_EQ(blocked.outcome, AllocationOutcome::kWait);
  EXPECT_EQ(blocked.reason, AllocationReason::kInsufficientCapacity);
  EpochMillis recovered = *interruptions.RecoveryGapEnd(pool, reclaim);
  EXPECT_GT(recovered, reclaim);
  EXPECT_EQ(allocate_at(recovered - 1).outcome, AllocationOutcome::kWait);
  AllocationResult freed = allocate_at(recovered);
  EXPECT_EQ(freed.outcome, AllocationOutcome::kLaunch);
  EXPECT_EQ(freed.launches, Launches({{pool, 1}}));
}

TEST(AllocationStrategyNames, ParseAndName) {
  for (const char* name : {"BEST_FIT", "BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED",
                           "SPOT_PRICE_CAPACITY_OPTIMIZED"}) {
    Result<AllocationStrategy> strategy = ParseAllocationStrategy(name);
    ASSERT_TRUE(strategy.ok()) << name;
    EXPECT_EQ(AllocationStrategyName(*strategy), name);
  }
  EXPECT_EQ(*ParseAllocationStrategy(""), AllocationStrategy::kBestFit);
  Result<AllocationStrategy> bad = ParseAllocationStrategy("CHEAPEST");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("'CHEAPEST' is not one of BEST_FIT"));
}

}  // namespace
}  // namespace gleaner
