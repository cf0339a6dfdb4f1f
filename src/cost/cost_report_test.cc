#include "cost/cost_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gleaner {
namespace {

CostedAttempt Attempt(const std::string& job, const std::string& group, const std::string& instance,
                      double usd, double on_demand_usd,
                      AttemptEnding outcome = AttemptEnding::kSucceeded) {
  CostedAttempt attempt;
  attempt.job_id = job;
  attempt.group = group;
  attempt.cost.instance_id = instance;
  attempt.cost.usd = usd;
  attempt.cost.on_demand_usd = on_demand_usd;
  attempt.cost.outcome = outcome;
  return attempt;
}

InstanceBill Bill(const std::string& instance, const std::string& environment, double usd,
                  double on_demand_usd) {
  return {instance, environment, CapacityLifecycle::kSpot, usd, on_demand_usd};
}

const CostRow& RowOf(const CostReport& report, const std::string& group) {
  for (const CostRow& row : report.rows) {
    if (row.group == group) return row;
  }
  ADD_FAILURE() << "no row " << group;
  static const CostRow kNone;
  return kNone;
}

TEST(CostReportTest, SumsAttemptsPerGroupAndCountsJobsOnce) {
  CostReport report =
      BuildCostReport({Attempt("a", "q1", "i-1", 1.0, 3.0), Attempt("a", "q1", "i-1", 2.0, 6.0),
                       Attempt("b", "q2", "i-1", 1.0, 3.0)},
                      {}, false);
  ASSERT_EQ(report.rows.size(), 2u);
  EXPECT_EQ(RowOf(report, "q1").jobs, 1);
  EXPECT_EQ(RowOf(report, "q1").attempts, 2);
  EXPECT_DOUBLE_EQ(RowOf(report, "q1").usd, 3.0);
  EXPECT_DOUBLE_EQ(RowOf(report, "q1").on_demand_usd, 9.0);
  EXPECT_NEAR(RowOf(report, "q1").SavingsPercent(), 66.67, 0.01);
  EXPECT_EQ(report.total.jobs, 2);
  EXPECT_DOUBLE_EQ(report.total.usd, 4.0);
}

TEST(CostReportTest, SharesAnInstancesIdleCostByWhatItsAttemptsCost) {
  // The instance cost 10; its attempts reserved 1 and 3 of it: 6 idle, shared 1.5 and 4.5.
  CostReport report =
      BuildCostReport({Attempt("a", "q1", "i-1", 1.0, 2.0), Attempt("b", "q2", "i-1", 3.0, 6.0)},
                      {Bill("i-1", "ce", 10.0, 20.0)}, false);
  EXPECT_DOUBLE_EQ(RowOf(report, "q1").idle_usd, 1.5);
  EXPECT_DOUBLE_EQ(RowOf(report, "q1").usd, 2.5);
  EXPECT_DOUBLE_EQ(RowOf(report, "q2").idle_usd, 4.5);
  EXPECT_DOUBLE_EQ(RowOf(report, "q2").on_demand_usd, 6.0 + 12.0 * 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(report.total.usd, 10.0) << "everything the instance cost is paid by someone";
  EXPECT_DOUBLE_EQ(report.total.idle_usd, 6.0);
}

TEST(CostReportTest, AnInstanceNothingRanOnIsIdleUnderItsEnvironmentOrApart) {
  std::vector<InstanceBill> bills = {Bill("i-9", "spot-ce", 2.0, 5.0)};
  CostReport by_environment = BuildCostReport({}, bills, true);
  ASSERT_EQ(by_environment.rows.size(), 1u);
  EXPECT_EQ(by_environment.rows[0].group, "spot-ce");
  EXPECT_DOUBLE_EQ(by_environment.rows[0].idle_usd, 2.0);
  EXPECT_EQ(by_environment.rows[0].jobs, 0);
  CostReport by_queue = BuildCostReport({}, bills, false);
  ASSERT_EQ(by_queue.rows.size(), 1u);
  EXPECT_EQ(by_queue.rows[0].group, kIdleWithoutJobs);
}

TEST(CostReportTest, InterruptedAttemptsAreLostWorkButRunningOnesAreNotYet) {
  CostedAttempt running = Attempt("b", "q", "i-2", 0.5, 1.0, AttemptEnding::kInterrupted);
  running.running = true;
  CostReport report =
      BuildCostReport({Attempt("a", "q", "i-1", 2.0, 4.0, AttemptEnding::kInterrupted),
                       Attempt("a", "q", "i-2", 3.0, 6.0), running},
                      {}, false);
  EXPECT_DOUBLE_EQ(RowOf(report, "q").lost_usd, 2.0);
  EXPECT_EQ(RowOf(report, "q").interrupted_attempts, 1);
  EXPECT_DOUBLE_EQ(RowOf(report, "q").usd, 5.5);
}

TEST(CostReportTest, ABillBelowWhatItsAttemptsCostHasNoNegativeIdle) {
  CostReport report =
      BuildCostReport({Attempt("a", "q", "i-1", 2.0, 4.0)}, {Bill("i-1", "ce", 1.0, 1.0)}, false);
  EXPECT_DOUBLE_EQ(RowOf(report, "q").idle_usd, 0.0);
  EXPECT_DOUBLE_EQ(RowOf(report, "q").usd, 2.0);
}

TEST(CostReportTest, FreeAttemptsShareIdleEvenly) {
  CostReport report =
      BuildCostReport({Attempt("a", "q1", "i-1", 0, 0), Attempt("b", "q2", "i-1", 0, 0)},
                      {Bill("i-1", "ce", 4.0, 4.0)}, false);
  EXPECT_DOUBLE_EQ(RowOf(report, "q1").idle_usd, 2.0);
  EXPECT_DOUBLE_EQ(RowOf(report, "q2").idle_usd, 2.0);
}

}  // namespace
}  // namespace gleaner
