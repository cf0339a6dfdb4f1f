// Fair-share queues through BatchState: shares converge to their weights, priorities order jobs
// within a share, computeReservation holds capacity back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;

class FairShareQueueTest : public BatchStateTest {
 protected:
  // A fair-share queue "fq" whose policy gives `weights` (shareIdentifier -> weightFactor).
  void AddFairShareWorld(const std::map<std::string, double>& weights, int decay_seconds,
                         int compute_reservation = 0, int64_t host_millivcpus = 8000) {
    AddHost(kHostId, host_millivcpus, 1 << 20);
    AddEnvironment("ce");
    SchedulingPolicy policy;
    policy.name = "policy";
    FairsharePolicy fairshare;
    fairshare.share_decay_seconds = decay_seconds;
    fairshare.compute_reservation = compute_reservation;
    for (const auto& [share, weight] : weights)
      fairshare.share_distribution.push_back({share, weight});
    policy.fairshare_policy = fairshare;
    std::string policy_arn = Must(state_.CreateSchedulingPolicy(policy))->arn;
    JobQueue queue = Queue("fq", 1, {"ce"});
    queue.scheduling_policy_arn = policy_arn;
    Must(state_.CreateJobQueue(queue));
    Register("def", "1", "16");
  }

  std::string SubmitShare(const std::string& share, int priority = 0) {
    SubmitJobRequest request = Request("job-" + share, "fq");
    request.share_identifier = share;
    request.scheduling_priority_override = priority;
    return Submit(request);
  }

  // Starts whatever Schedule() places; returns the ids started.
  std::vector<std::string> ScheduleAndLaunch() {
    std::vector<std::string> started;
    for (const StartAttempt& start : state_.Schedule().starts) {
      state_.OnAttemptLaunched(start.job_id, 1000 + static_cast<int64_t>(started.size()), 1);
      started.push_back(start.job_id);
    }
    return started;
  }
};

TEST_F(FairShareQueueTest, SharesConvergeToTheirWeights) {
  // Weight 0.25 is four times the share of weight 1.
  AddFairShareWorld({{"heavy", 0.25}, {"light", 1.0}}, /*decay_seconds=*/3600);
  constexpr int64_t kJobMillis = 60'000;
  std::map<std::string, int64_t> vcpu_millis;
  std::set<std::pair<EpochMillis, std::string>> running;  // (ends at, job id)
  for (int i = 0; i < 2000; ++i) {
    SubmitShare("heavy");
    SubmitShare("light");
  }
  for (int step = 0; step < 1500; ++step) {
    for (const std::string& id : ScheduleAndLaunch()) {
      running.insert({clock_.NowMillis() + kJobMillis, id});
    }
    ASSERT_FALSE(running.empty());
    auto [ends_at, id] = *running.begin();
    running.erase(running.begin());
    clock_.Set(ends_at);
    const Job& job = JobOf(id);
    if (step > 300) vcpu_millis[job.share_identifier] += kJobMillis;  // after the start-up
    state_.OnAttemptExited(id, 0, 0);
  }
  double ratio =
      static_cast<double>(vcpu_millis["heavy"]) / static_cast<double>(vcpu_millis["light"]);
  EXPECT_NEAR(ratio, 4.0, 0.4) << "heavy " << vcpu_millis["heavy"] << " light "
                               << vcpu_millis["light"];
}

TEST_F(FairShareQueueTest, HigherSchedulingPriorityGoesFirstWithinAShare) {
  AddFairShareWorld({{"a", 1.0}}, 600, 0, /*host_millivcpus=*/1000);
  std::string low = SubmitShare("a", 1);
  std::string high = SubmitShare("a", 9);
  EXPECT_EQ(ScheduleAndLaunch(), std::vector<std::string>{high});
  (void)low;
}

TEST_F(FairShareQueueTest, ComputeReservationKeepsRoomForAShareThatRunsNothing) {
  // C = 50 with one active share holds back half of the queue's 8 vCPUs (maxvCpus of "ce" is 256,
  // so make the CE the limit): the busy share gets 4, a newcomer still starts at once.
  AddFairShareWorld({{"busy", 1.0}, {"new", 1.0}}, 600, /*compute_reservation=*/50);
  UpdateComputeEnvironmentRequest shrink;
  shrink.compute_environment = "ce";
  shrink.maxv_cpus = 8;
  Must(state_.UpdateComputeEnvironment(shrink));
  for (int i = 0; i < 10; ++i) SubmitShare("busy");
  std::vector<std::string> first = ScheduleAndLaunch();
  // The first busy job starts with nothing active (no reserve); then half of 8 is held back.
  EXPECT_EQ(first.size(), 4u);
  SubmitShare("new");
  // The newcomer starts at once; with two active shares (C/100)^2 = a quarter (2 vCPUs) is held
  // back, so busy may grow to 5 of the remaining 6.
  std::vector<std::string> second = ScheduleAndLaunch();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(JobOf(second[0]).share_identifier, "new");
  EXPECT_EQ(JobOf(second[1]).share_identifier, "busy");
  EXPECT_TRUE(ScheduleAndLaunch().empty());
}

}  // namespace
}  // namespace gleaner
