#include "capacity/interruption_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "capacity/capacity_test_support.h"
#include "capacity/instance_ids.h"

namespace gleaner {
namespace {

constexpr EpochMillis kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// One type per Spot Advisor bucket, and one without a spot offering.
constexpr char kRows[] =
    "b0.large,2,4096,0,0.1,60,0\n"
    "b1.large,2,4096,0,0.1,60,1\n"
    "b2.large,2,4096,0,0.1,60,2\n"
    "b3.large,2,4096,0,0.1,60,3\n"
    "b4.large,2,4096,0,0.1,60,4\n"
    "ondemand.large,2,4096,0,0.1,,\n";

// A fleet that keeps `per_pool` instances running in every pool, replacing each interrupted
// instance as soon as its notice arrives.
class Fleet {
 public:
  Fleet(const std::vector<CapacityPool>& pools, int per_pool, uint64_t seed, EpochMillis now)
      : ids_(seed) {
    for (const CapacityPool& pool : pools) {
      for (int i = 0; i < per_pool; ++i) running_[pool].push_back({ids_.Next(), now});
    }
  }
  void Replace(const InterruptionEvent& event, EpochMillis now) {
    for (const InstanceNotice& notice : event.notices) {
      for (RunningInstance& instance : running_[event.pool]) {
        if (instance.instance_id == notice.instance_id) instance = {ids_.Next(), now};
      }
    }
  }
  const RunningInstancesByPool& running() const { return running_; }

 private:
  InstanceIdGenerator ids_;
  RunningInstancesByPool running_;
};

std::vector<CapacityPool> PoolsOfType(const std::string& type, int zones) {
  std::vector<CapacityPool> pools;
  pools.reserve(static_cast<size_t>(zones));
  for (int zone = 0; zone < zones; ++zone) pools.push_back({type, "zone-" + std::to_string(zone)});
  return pools;
}

// Runs a fleet for `days`, advancing once a day; returns every event.
std::vector<InterruptionEvent> RunFleet(InterruptionModel& model, Fleet& fleet, int days) {
  std::vector<InterruptionEvent> all;
  for (int day = 1; day <= days; ++day) {
    EpochMillis now = kStart + day * kDay;
    for (InterruptionEvent& event : model.Advance(now, fleet.running())) {
      fleet.Replace(event, now);
      all.push_back(std::move(event));
    }
  }
  return all;
}

class Interruptions : public ::testing::Test {
 protected:
  InstanceCatalog catalog_ = testing::CatalogOf(kRows);
};

TEST(InterruptionProfiles, NoticesAndLifetimes) {
  EXPECT_EQ(InterruptionProfile::Aws().notice_millis, 120'000);
  EXPECT_FALSE(InterruptionProfile::Aws().max_lifetime_millis.has_value());
  EXPECT_EQ(InterruptionProfile::Gcp().notice_millis, 30'000);
  EXPECT_EQ(InterruptionProfile::Gcp().max_lifetime_millis, 24 * kHour);
  EXPECT_FALSE(InterruptionProfile::GcpSpot().max_lifetime_millis.has_value());
  EXPECT_EQ(InterruptionProfile::Azure().notice_millis, 30'000);
  EXPECT_EQ(InterruptionProfileNamed("azure")->name, "azure");
  Result<InterruptionProfile> unknown = InterruptionProfileNamed("oracle");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), ::testing::HasSubstr("aws, gcp, gcp-spot, azure"));
}

TEST(InterruptionProfiles, MonthlyRatesAreBucketMidpoints) {
  EXPECT_DOUBLE_EQ(MonthlyInterruptionRate(0), 0.025);
  EXPECT_DOUBLE_EQ(MonthlyInterruptionRate(1), 0.08);
  EXPECT_DOUBLE_EQ(MonthlyInterruptionRate(2), 0.135);
  EXPECT_DOUBLE_EQ(MonthlyInterruptionRate(3), 0.19);
  EXPECT_DOUBLE_EQ(MonthlyInterruptionRate(4), 0.25);
}

TEST_F(Interruptions, ObservedMonthlyRatePerBucketMatchesTheAdvisor) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 2026, kStart);
  constexpr int kZones = 100;
  constexpr int kPerPool = 4;
  constexpr int kDays = 20 * 365;
  std::vector<CapacityPool> pools;
  for (int bucket = 0; bucket < kInterruptionBucketCount; ++bucket) {
    for (const CapacityPool& pool : PoolsOfType("b" + std::to_string(bucket) + ".large", kZones)) {
      pools.push_back(pool);
    }
  }
  Fleet fleet(pools, kPerPool, 1, kStart);
  std::map<std::string, int> interrupted;
  for (const InterruptionEvent& event : RunFleet(model, fleet, kDays)) {
    interrupted[event.pool.instance_type] += static_cast<int>(event.notices.size());
  }
  double instance_months = double{kZones} * kPerPool * kDays * kDay / kMonthMillis;
  for (int bucket = 0; bucket < kInterruptionBucketCount; ++bucket) {
    std::string type = "b" + std::to_string(bucket) + ".large";
    double hazard = interrupted[type] / instance_months;  // interruptions per instance-month
    double observed_monthly_share = 1.0 - std::exp(-hazard);
    double target = MonthlyInterruptionRate(bucket);
    EXPECT_NEAR(observed_monthly_share, target, 0.10 * target) << type;
  }
}

TEST_F(Interruptions, ReclaimsHitSeveralInstancesWithinThreeMinutes) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 5, kStart);
  Fleet fleet(PoolsOfType("b4.large", 20), 10, 2, kStart);
  std::vector<InterruptionEvent> events = RunFleet(model, fleet, 3 * 365);
  ASSERT_GT(events.size(), 100u);
  size_t clustered = 0;
  for (const InterruptionEvent& event : events) {
    EXPECT_EQ(event.cause, InterruptionCause::kCapacityReclaim);
    ASSERT_FALSE(event.notices.empty());
    for (const InstanceNotice& notice : event.notices) {
      EXPECT_GE(notice.notice_at, event.started_at);
      EXPECT_LT(notice.notice_at, event.started_at + 3 * kMinute);
      EXPECT_EQ(notice.deadline_at, notice.notice_at + 120'000);
    }
    EXPECT_TRUE(std::is_sorted(event.notices.begin(), event.notices.end(),
                               [](const InstanceNotice& a, const InstanceNotice& b) {
                                 return a.notice_at < b.notice_at;
                               }));
    clustered += event.notices.size() >= 2;
  }
  EXPECT_GT(clustered, events.size() * 9 / 10);  // half of ten instances per reclaim, on average
}

TEST_F(Interruptions, RecoveryGapsHaveAnEightMinuteMedian) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 9, kStart);
  Fleet fleet(PoolsOfType("b4.large", 50), 2, 3, kStart);
  std::vector<int64_t> gaps;
  for (const InterruptionEvent& event : RunFleet(model, fleet, 5 * 365)) {
    ASSERT_TRUE(event.pool_unavailable_until.has_value());
    gaps.push_back(*event.pool_unavailable_until - event.started_at);
  }
  ASSERT_GT(gaps.size(), 500u);
  std::sort(gaps.begin(), gaps.end());
  int64_t median = gaps[gaps.size() / 2];
  EXPECT_GT(median, 6 * kMinute);
  EXPECT_LT(median, 10 * kMinute);
  EXPECT_LE(gaps.back(), 6 * kHour);
  double mean = 0;
  for (int64_t gap : gaps) mean += static_cast<double>(gap) / static_cast<double>(gaps.size());
  EXPECT_GT(mean, 15.0 * kMinute);  // long tail, as in the traces (mean 20-25 min)
  EXPECT_LT(mean, 30.0 * kMinute);
}

TEST_F(Interruptions, PoolCannotLaunchDuringItsRecoveryGap) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 4, kStart);
  CapacityPool pool{"b4.large", "us-east-1a"};
  EpochMillis reclaim = *model.NextInterruption(pool, kStart);
  EXPECT_GT(reclaim, kStart);
  EXPECT_TRUE(model.CanLaunch(pool, reclaim - 1));
  std::optional<EpochMillis> gap_end = model.RecoveryGapEnd(pool, reclaim);
  ASSERT_TRUE(gap_end.has_value());
  EXPECT_FALSE(model.CanLaunch(pool, (reclaim + *gap_end) / 2));
  EXPECT_TRUE(model.CanLaunch(pool, *gap_end));
  // Delivering the reclaim keeps the same gap.
  std::vector<InterruptionEvent> none = model.Advance(reclaim + 1, {});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(model.RecoveryGapEnd(pool, reclaim + 1), gap_end);
  EXPECT_GT(*model.NextInterruption(pool, reclaim), reclaim);
}

TEST_F(Interruptions, SameSeedSameEventsOtherSeedOtherEvents) {
  auto run = [&](uint64_t seed) {
    InterruptionModel model(catalog_, InterruptionProfile::Aws(), seed, kStart);
    std::vector<CapacityPool> pools = PoolsOfType("b3.large", 10);
    for (const CapacityPool& pool : PoolsOfType("b4.large", 10)) pools.push_back(pool);
    Fleet fleet(pools, 3, 77, kStart);
    return RunFleet(model, fleet, 365);
  };
  std::vector<InterruptionEvent> first = run(123);
  ASSERT_GT(first.size(), 20u);
  EXPECT_EQ(first, run(123));
  EXPECT_NE(first, run(124));
}

TEST_F(Interruptions, PoolTimelinesDoNotDependOnOtherPoolsOrQueries) {
  CapacityPool pool{"b2.large", "us-east-1c"};
  InterruptionModel alone(catalog_, InterruptionProfile::Aws(), 8, kStart);
  InterruptionModel busy(catalog_, InterruptionProfile::Aws(), 8, kStart);
  for (int zone = 0; zone < 20; ++zone) {
    (void)busy.NextInterruption({"b4.large", "zone-" + std::to_string(zone)}, kStart + 400 * kDay);
  }
  (void)busy.Advance(kStart + 30 * kDay, {});
  EpochMillis now = kStart + 60 * kDay;
  for (int i = 0; i < 5; ++i) {
    EpochMillis next = *alone.NextInterruption(pool, now);
    EXPECT_EQ(busy.NextInterruption(pool, now), next);
    EXPECT_EQ(busy.RecoveryGapEnd(pool, next), alone.RecoveryGapEnd(pool, next));
    now = next;
  }
}

TEST_F(Interruptions, OnlyInstancesRunningAtTheReclaimAreHitAndOnlyOnce) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 4, kStart);
  CapacityPool pool{"b4.large", "us-east-1a"};
  EpochMillis reclaim = *model.NextInterruption(pool, kStart);
  RunningInstancesByPool running;
  for (int i = 0; i < 20; ++i) {
    running[pool].push_back({"i-old" + std::to_string(i), kStart});
    running[pool].push_back({"i-new" + std::to_string(i), reclaim + 1});
  }
  std::vector<InterruptionEvent> events = model.Advance(reclaim + 10 * kMinute, running);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].started_at, reclaim);
  for (const InstanceNotice& notice : events[0].notices) {
    EXPECT_TRUE(notice.instance_id.starts_with("i-old")) << notice.instance_id;
  }
  EXPECT_GE(events[0].notices.size(), 2u);
  EXPECT_TRUE(model.Advance(reclaim + 20 * kMinute, running).empty());
}

TEST_F(Interruptions, OnDemandOnlyTypesAreNeverReclaimed) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 4, kStart);
  CapacityPool pool{"ondemand.large", "us-east-1a"};
  EXPECT_FALSE(model.NextInterruption(pool, kStart).has_value());
  EXPECT_TRUE(model.CanLaunch(pool, kStart));
  EXPECT_EQ(model.ReclaimsPerMonth(pool), 0.0);
  RunningInstancesByPool running = {{pool, {{"i-1", kStart}}}};
  EXPECT_TRUE(model.Advance(kStart + 3650 * kDay, running).empty());
}

TEST_F(Interruptions, ReclaimRateMakesTheMonthlyShareExact) {
  InterruptionModel model(catalog_, InterruptionProfile::Aws(), 4, kStart);
  double reclaims = model.ReclaimsPerMonth({"b0.large", "z"});
  EXPECT_NEAR(reclaims * 0.5, -std::log(1 - 0.025), 1e-12);
}

TEST_F(Interruptions, GcpPreemptibleInstancesStopAfterADay) {
  InterruptionModel model(catalog_, InterruptionProfile::Gcp(), 4, kStart);
  CapacityPool pool{"ondemand.large", "us-east-1a"};  // no reclaims: only the lifetime limit
  RunningInstancesByPool running = {{pool, {{"i-vm", kStart}}}};
  EXPECT_TRUE(model.Advance(kStart + kDay - 31'000, running).empty());
  std::vector<InterruptionEvent> events = model.Advance(kStart + kDay, running);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].cause, InterruptionCause::kMaxLifetime);
  EXPECT_FALSE(events[0].pool_unavailable_until.has_value());
  ASSERT_EQ(events[0].notices.size(), 1u);
  EXPECT_EQ(events[0].notices[0].notice_at, kStart + kDay - 30'000);
  EXPECT_EQ(events[0].notices[0].deadline_at, kStart + kDay);
  EXPECT_TRUE(model.Advance(kStart + kDay + 1, running).empty());
}

}  // namespace
}  // namespace gleaner
