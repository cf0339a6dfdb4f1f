#include "model/attempt_cost.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(SplitRatioTest, WeighsVcpuAndMemoryNineToOne) {
  Resources instance{4000, 16384, 0};  // 4 vCPUs, 16 GiB: 36 + 16 = 52 units
  EXPECT_DOUBLE_EQ(SplitRatio({1000, 2048, 0}, instance), (9.0 + 2.0) / 52.0);
  EXPECT_DOUBLE_EQ(SplitRatio(instance, instance), 1.0);
  EXPECT_DOUBLE_EQ(SplitRatio({8000, 32768, 0}, instance), 1.0) << "never above the instance";
  EXPECT_DOUBLE_EQ(SplitRatio({1000, 1024, 0}, Resources{}), 0.0);
}

TEST(SplitRatioTest, GpusWeighNineToOneAgainstVcpuAndMemory) {
  Resources instance{8000, 61440, 1};  // p3.2xlarge: 8 vCPUs, 60 GiB, 1 GPU
  EXPECT_DOUBLE_EQ(SplitRatio({4000, 30720, 1}, instance), 0.9 + 0.1 * 0.5);
  EXPECT_DOUBLE_EQ(SplitRatio({4000, 30720, 0}, instance), 0.1 * 0.5);
}

TEST(AttemptCostNamesTest, RoundTrip) {
  for (CapacityLifecycle lifecycle :
       {CapacityLifecycle::kUnpriced, CapacityLifecycle::kOnDemand, CapacityLifecycle::kSpot,
        CapacityLifecycle::kFargate, CapacityLifecycle::kFargateSpot, CapacityLifecycle::kLocal,
        CapacityLifecycle::kAgent}) {
    EXPECT_EQ(LifecycleNamed(LifecycleName(lifecycle)), lifecycle);
  }
  for (AttemptEnding outcome : {AttemptEnding::kSucceeded, AttemptEnding::kFailed,
                                AttemptEnding::kInterrupted, AttemptEnding::kTerminated}) {
    EXPECT_EQ(OutcomeNamed(OutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(LifecycleNamed("reserved"), std::nullopt);
}

}  // namespace
}  // namespace gleaner
