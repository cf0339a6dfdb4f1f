// What hosts cost: the simulated cloud's instances at their pools' prices over time, split by
// reservation; local capacity and agents per vCPU-hour; whole instances' bills for idle cost.
#include "capacity/capacity_prices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capacity/instance_cost.h"
#include "capacity/simulated_cloud_test_support.h"

namespace gleaner {
namespace {

constexpr int64_t kHour = 3'600'000;

class CapacityPricesTest : public testing::SimulatedCloudFixture {
 protected:
  // One job of `vcpus` running on an instance of a `type` environment (SPOT, EC2, FARGATE).
  const SimulatedInstance& RunOneJob(const std::string& type, const std::string& vcpus,
                                     const std::string& memory_mib) {
    Cloud();
    AddEnvironment("ce", type, 16,
                   type.starts_with("FARGATE") ? std::vector<std::string>{}
                                               : std::vector<std::string>{"m5.xlarge"});
    AddQueue({"ce"});
    bool fargate = type.starts_with("FARGATE");
    RegisterDefinition(vcpus, memory_mib, false,
                       fargate ? std::vector<std::string>{"FARGATE"} : std::vector<std::string>{});
    job_ = Submit("a");
    Step();
    if (!JobOf(job_).placement) throw std::runtime_error("the job was not placed");
    const SimulatedInstance* instance = cloud_->FindInstance(JobOf(job_).placement->instance_id);
    if (instance == nullptr) throw std::runtime_error("the job was not placed");
    return *instance;
  }

  std::string job_;
};

TEST_F(CapacityPricesTest, ASpotAttemptPaysItsShareOfTheSpotPriceOfEachHour) {
  const SimulatedInstance& instance = RunOneJob("SPOT", "1", "2048");
  CapacityPrices prices(&*cloud_, {});
  // From the middle of one price hour to the middle of the third: three prices.
  EpochMillis from = (instance.launched_at / kHour + 1) * kHour - kHour / 2;
  EpochMillis to = from + 2 * kHour;
  double expected = 0;
  for (EpochMillis hour_start : {from, from + kHour / 2, from + 3 * kHour / 2}) {
    EpochMillis length =
        hour_start == from || hour_start == from + 3 * kHour / 2 ? kHour / 2 : kHour;
    expected += static_cast<double>(*cloud_->prices().SpotPrice(instance.pool, hour_start)) / 1e6 *
                static_cast<double>(length) / kHour;
  }
  AttemptCharge charge =
      prices.ChargeAttempt(instance.instance_id, false, Resources{1000, 2048, 0}, from, to);
  double ratio = (9.0 + 2.0) / (9.0 * 4 + 16.0);  // m5.xlarge: 4 vCPUs, 16 GiB
  EXPECT_EQ(charge.lifecycle, CapacityLifecycle::kSpot);
  EXPECT_EQ(charge.instance_type, "m5.xlarge");
  EXPECT_DOUBLE_EQ(charge.split_ratio, ratio);
  EXPECT_NEAR(charge.usd, expected * ratio, 1e-12);
  const InstanceType* type = testing::BuiltInCatalog().Find("m5.xlarge");
  EXPECT_NEAR(charge.on_demand_usd, static_cast<double>(type->on_demand_price) / 1e6 * 2 * ratio,
              1e-12);
  EXPECT_LT(charge.usd, charge.on_demand_usd) << "spot is cheaper";
}

TEST_F(CapacityPricesTest, AnOnDemandInstanceCostsItsOnDemandPrice) {
  const SimulatedInstance& instance = RunOneJob("EC2", "4", "16384");
  CapacityPrices prices(&*cloud_, {});
  AttemptCharge charge =
      prices.ChargeAttempt(instance.instance_id, false, Resources{4000, 16384, 0},
                           instance.launched_at, instance.launched_at + kHour);
  EXPECT_EQ(charge.lifecycle, CapacityLifecycle::kOnDemand);
  EXPECT_DOUBLE_EQ(charge.split_ratio, 1.0);
  EXPECT_DOUBLE_EQ(charge.usd, static_cast<double>(instance.hourly_price) / 1e6);
  EXPECT_DOUBLE_EQ(charge.usd, charge.on_demand_usd);
}

TEST_F(CapacityPricesTest, AFargateTaskPaysPerVcpuAndGigabyteHour) {
  const SimulatedInstance& instance = RunOneJob("FARGATE_SPOT", "2", "4096");
  CapacityPrices prices(&*cloud_, {});
  AttemptCharge charge = prices.ChargeAttempt(instance.instance_id, false, Resources{2000, 4096, 0},
                                              instance.launched_at, instance.launched_at + kHour);
  EXPECT_EQ(charge.lifecycle, CapacityLifecycle::kFargateSpot);
  EXPECT_NEAR(charge.usd, 2 * kFargateSpotRates.vcpu_hour_usd + 4 * kFargateSpotRates.gb_hour_usd,
              1e-12);
  EXPECT_NEAR(charge.on_demand_usd, 2 * kFargateRates.vcpu_hour_usd + 4 * kFargateRates.gb_hour_usd,
              1e-12);
  EXPECT_THAT(prices.Bills(0, clock_.NowMillis() + kHour), ::testing::IsEmpty())
      << "a Fargate task has nothing idle";
}

TEST_F(CapacityPricesTest, NothingIsChargedOutsideTheInstancesLife) {
  const SimulatedInstance& instance = RunOneJob("EC2", "1", "1024");
  EXPECT_EQ(CostOfInstance(instance, testing::BuiltInCatalog(), cloud_->prices(),
                           instance.launched_at - kHour, instance.launched_at)
                .usd,
            0);
}

TEST_F(CapacityPricesTest, LocalCapacityAndAgentsCostWhatTheUserSet) {
  CapacityPrices prices(nullptr, {0.05, 0.02});
  AttemptCharge local = prices.ChargeAttempt("i-local", false, Resources{2000, 1024, 0}, 0, kHour);
  EXPECT_EQ(local.lifecycle, CapacityLifecycle::kLocal);
  EXPECT_DOUBLE_EQ(local.usd, 0.10);
  AttemptCharge agent =
      prices.ChargeAttempt("i-agent", true, Resources{4000, 1024, 0}, 0, kHour / 2);
  EXPECT_EQ(agent.lifecycle, CapacityLifecycle::kAgent);
  EXPECT_DOUBLE_EQ(agent.usd, 0.04);
  EXPECT_DOUBLE_EQ(
      CapacityPrices(nullptr, {}).ChargeAttempt("i", false, {1000, 1, 0}, 0, kHour).usd, 0.0)
      << "free unless the user sets a price";
}

TEST_F(CapacityPricesTest, BillsCoverWholeInstancesFromLaunchToTermination) {
  const SimulatedInstance& instance = RunOneJob("SPOT", "1", "1024");
  std::string id = instance.instance_id;
  EpochMillis launched = instance.launched_at;
  clock_.Advance(kHour);
  state_.OnAttemptExited(job_, 0, 0);
  clock_.Advance(SimulatedCloudOptions{}.scale_in_idle_millis + 1);
  Step();  // scaled in
  ASSERT_EQ(cloud_->FindInstance(id)->state, InstanceState::kTerminated);
  EpochMillis terminated = *cloud_->FindInstance(id)->terminated_at;
  CapacityPrices prices(&*cloud_, {});
  double whole = CostOfInstance(*cloud_->FindInstance(id), testing::BuiltInCatalog(),
                                cloud_->prices(), launched, terminated)
                     .usd;
  std::vector<InstanceBill> bills = prices.Bills(0, clock_.NowMillis() + kHour);
  ASSERT_EQ(bills.size(), 1u);
  EXPECT_EQ(bills[0].instance_id, id);
  EXPECT_EQ(bills[0].compute_environment, "ce");
  EXPECT_DOUBLE_EQ(bills[0].usd, whole) << "nothing after its termination";
  EXPECT_GT(whole, 0);
  // Retired from DescribeInstances, still billed.
  clock_.Advance(SimulatedCloudOptions{}.terminated_visible_millis);
  Step();
  ASSERT_EQ(cloud_->FindInstance(id), nullptr);
  bills = prices.Bills(0, clock_.NowMillis());
  ASSERT_EQ(bills.size(), 1u);
  EXPECT_DOUBLE_EQ(bills[0].usd, whole);
  EXPECT_THAT(prices.Bills(terminated + 1, clock_.NowMillis()), ::testing::IsEmpty())
      << "terminated before the window";
}

}  // namespace
}  // namespace gleaner
