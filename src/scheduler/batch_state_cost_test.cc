// What each attempt cost: BatchState asks its HostPricing when an attempt ends and keeps the
// answer with the attempt, with how the attempt ended.
#include <gtest/gtest.h>

#include <csignal>

#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace scheduler_test {
namespace {

// $1 per reserved vCPU-hour, $4 at on-demand prices; remembers what it was asked.
class FlatPricing final : public HostPricing {
 public:
  AttemptCharge ChargeAttempt(const std::string& instance_id, bool remote,
                              const Resources& reserved, EpochMillis from,
                              EpochMillis to) const override {
    asked_instance = instance_id;
    asked_remote = remote;
    double vcpu_hours = static_cast<double>(reserved.millivcpus) / 1000.0 *
                        static_cast<double>(to - from) / 3'600'000.0;
    AttemptCharge charge;
    charge.lifecycle = CapacityLifecycle::kSpot;
    charge.instance_type = "m5.xlarge";
    charge.split_ratio = 0.25;
    charge.usd = vcpu_hours;
    charge.on_demand_usd = 4 * vcpu_hours;
    return charge;
  }

  mutable std::string asked_instance;
  mutable bool asked_remote = true;
};

BatchStateOptions PricedBy(const HostPricing& pricing) {
  BatchStateOptions options;
  options.pricing = &pricing;
  return options;
}

class BatchStateCostTest : public BatchStateTest {
 protected:
  BatchStateCostTest() : BatchStateTest(PricedBy(pricing_)) {
    AddStandardWorld();
    AddHost();
  }

  static inline FlatPricing pricing_;
};

TEST_F(BatchStateCostTest, AnAttemptCostsItsReservationFromPlacementToItsEnd) {
  std::string id = Submit("a");
  EpochMillis placed = clock_.NowMillis();
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{id});
  clock_.Advance(60'000);  // an image pull: STARTING still holds the reservation
  state_.OnAttemptLaunched(id, 4242, 42420);
  clock_.Advance(3'540'000);
  state_.OnAttemptExited(id, 0, 0);

  ASSERT_EQ(StatusOf(id), JobStatus::kSucceeded);
  const AttemptCost& cost = JobOf(id).attempts.at(0).cost;
  EXPECT_EQ(cost.instance_id, kHostId);
  EXPECT_EQ(pricing_.asked_instance, kHostId);
  EXPECT_FALSE(pricing_.asked_remote);
  EXPECT_EQ(cost.from, placed);
  EXPECT_EQ(cost.to, placed + 3'600'000);
  EXPECT_EQ(cost.reserved, (Resources{1000, 1024, 0}));
  EXPECT_EQ(cost.outcome, AttemptEnding::kSucceeded);
  EXPECT_EQ(cost.lifecycle, CapacityLifecycle::kSpot);
  EXPECT_EQ(cost.instance_type, "m5.xlarge");
  EXPECT_DOUBLE_EQ(cost.usd, 1.0);
  EXPECT_DOUBLE_EQ(cost.on_demand_usd, 4.0);
  EXPECT_EQ(cost.compute_environment_arn, state_.FindComputeEnvironment("ce")->arn);
}

TEST_F(BatchStateCostTest, EachAttemptSaysHowItEnded) {
  SubmitJobRequest request = Request("retried");
  request.retry_strategy = RetryStrategy{};
  request.retry_strategy->attempts = 3;
  std::string id = Submit(request);
  RunToExit(id, 1);  // the job's own failure
  ASSERT_EQ(StatusOf(id), JobStatus::kRunnable);
  StartAndLaunch(id);
  state_.OnInterruptionNotice(kHostId, clock_.NowMillis() + 120'000, false);
  state_.TerminateHost(kHostId);
  state_.OnAttemptExited(id, 128 + SIGKILL, SIGKILL);
  ASSERT_EQ(StatusOf(id), JobStatus::kRunnable) << JobOf(id).status_reason;
  AddHost("i-0000000000000002");
  StartAndLaunch(id);
  MustOk(state_.TerminateJob({id, "no longer needed"}));
  state_.OnAttemptExited(id, 143, SIGTERM);

  const std::vector<AttemptDetail>& attempts = JobOf(id).attempts;
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].cost.outcome, AttemptEnding::kFailed);
  EXPECT_EQ(attempts[1].cost.outcome, AttemptEnding::kInterrupted);
  EXPECT_EQ(attempts[1].cost.instance_id, kHostId);
  EXPECT_EQ(attempts[2].cost.outcome, AttemptEnding::kTerminated);
  EXPECT_EQ(attempts[2].cost.instance_id, "i-0000000000000002");
}

class BatchStateUnpricedTest : public BatchStateTest {};

TEST_F(BatchStateUnpricedTest, WithoutPricingAttemptsAreUnpricedButStillSayHowTheyEnded) {
  AddStandardWorld();
  AddHost();
  std::string id = Submit("a");
  StartAndLaunch(id);
  clock_.Advance(1000);
  state_.OnAttemptExited(id, 0, 0);
  const AttemptCost& cost = JobOf(id).attempts.at(0).cost;
  EXPECT_EQ(cost.lifecycle, CapacityLifecycle::kUnpriced);
  EXPECT_EQ(cost.outcome, AttemptEnding::kSucceeded);
  EXPECT_EQ(cost.usd, 0);
  EXPECT_EQ(cost.to - cost.from, 1000);
}

}  // namespace
}  // namespace scheduler_test
}  // namespace gleaner
