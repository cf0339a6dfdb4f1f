// BatchState's dispatch: Schedule() placing RUNNABLE jobs on hosts by queue priority and compute
// environment order, within host capacity and compute environment limits, and ExplainWaiting().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ScheduleTest : public BatchStateTest {
 protected:
  void SetState(const std::string& environment, const std::string& state) {
    UpdateComputeEnvironmentRequest request;
    request.compute_environment = environment;
    request.state = ParseResourceState(state);
    Must(state_.UpdateComputeEnvironment(request));
  }

  void SetQueueState(const std::string& queue, const std::string& state) {
    UpdateJobQueueRequest request;
    request.job_queue = queue;
    request.state = ParseResourceState(state);
    Must(state_.UpdateJobQueue(request));
  }

  const std::string& EnvironmentOf(const std::string& job_id) const {
    return JobOf(job_id).placement.value().compute_environment_arn;
  }

  const std::string& ArnOf(const std::string& environment) const {
    return state_.FindComputeEnvironment(environment)->arn;
  }
};

TEST_F(ScheduleTest, NeverOverCommitsVcpus) {
  AddStandardWorld();
  AddHost();
  Register("two-vcpu", "2", "1024");
  std::string first = Submit("first", "q", "two-vcpu");
  std::string second = Submit("second", "q", "two-vcpu");
  std::string third = Submit("third", "q", "two-vcpu");

  EXPECT_EQ(Started(state_.Schedule()), (std::vector<std::string>{first, second}));
  EXPECT_EQ(HostOf().used, (Resources{4000, 2048, 0}));
  EXPECT_EQ(StatusOf(third), JobStatus::kRunnable);
  EXPECT_TRUE(state_.Schedule().starts.empty());

  state_.OnAttemptLaunched(first, 1, 1);
  state_.OnAttemptLaunched(second, 2, 2);
  EXPECT_TRUE(state_.Schedule().starts.empty());
  state_.OnAttemptExited(first, 0, 0);
  EXPECT_EQ(HostOf().used, (Resources{2000, 1024, 0}));
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{third});
  EXPECT_EQ(HostOf().used, (Resources{4000, 2048, 0}));
}

TEST_F(ScheduleTest, NeverOverCommitsMemory) {
  AddStandardWorld();
  AddHost();
  Register("fat", "1", "3000");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Submit("fat" + std::to_string(i), "q", "fat"));

  EXPECT_EQ(Started(state_.Schedule()), (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_EQ(HostOf().used, (Resources{2000, 6000, 0}));
  EXPECT_TRUE(state_.Schedule().starts.empty());
}

TEST_F(ScheduleTest, ManyJobsRunAtMostAsManyAsFitAndAllFinish) {
  AddStandardWorld();
  AddHost();
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Submit("job" + std::to_string(i)));

  std::vector<std::string> running;
  std::vector<std::string> started_order;
  for (int round = 0; round < 20 && started_order.size() < ids.size(); ++round) {
    for (const std::string& id : Started(state_.Schedule())) {
      state_.OnAttemptLaunched(id, 100 + round, 1);
      running.push_back(id);
      started_order.push_back(id);
    }
    ASSERT_LE(running.size(), 4u) << "more 1-vCPU jobs running than the 4-vCPU host holds";
    ASSERT_TRUE(HostOf().used.FitsIn(HostOf().total));
    // Let the oldest finish.
    state_.OnAttemptExited(running.front(), 0, 0);
    running.erase(running.begin());
  }
  EXPECT_EQ(started_order, ids);  // FIFO
  for (const std::string& id : running) state_.OnAttemptExited(id, 0, 0);
  for (const std::string& id : ids) EXPECT_EQ(StatusOf(id), JobStatus::kSucceeded) << id;
  EXPECT_EQ(HostOf().used, Resources{});
}

TEST_F(ScheduleTest, HigherPriorityQueueIsServedFirst) {
  AddEnvironment("ce");
  // Named so that name order and priority order disagree.
  AddQueue("a-low", 1, {"ce"});
  AddQueue("b-high", 10, {"ce"});
  Register("whole-host", "4", "1024");
  AddHost();
  std::string low = Submit("low", "a-low", "whole-host");
  clock_.Advance(1'000);
  std::string high = Submit("high", "b-high", "whole-host");

  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{high});
  EXPECT_EQ(StatusOf(low), JobStatus::kRunnable);

  state_.OnAttemptLaunched(high, 1, 1);
  state_.OnAttemptExited(high, 0, 0);
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{low});
}

TEST_F(ScheduleTest, ChangingPriorityChangesTheOrder) {
  AddEnvironment("ce");
  AddQueue("first", 10, {"ce"});
  AddQueue("second", 1, {"ce"});
  Register("whole-host", "4", "1024");
  AddHost();
  Submit("a", "first", "whole-host");
  std::string b = Submit("b", "second", "whole-host");
  UpdateJobQueueRequest raise;
  raise.job_queue = "second";
  raise.priority = 100;
  Must(state_.UpdateJobQueue(raise));
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{b});
}

TEST_F(ScheduleTest, EnvironmentsAreTriedInOrderWithinTheirMaxVcpus) {
  AddEnvironment("preferred", /*maxv_cpus=*/1);
  AddEnvironment("overflow", /*maxv_cpus=*/256);
  JobQueue queue;
  queue.name = "q";
  queue.priority = 1;
  queue.compute_environment_order = {{2, "overflow"}, {1, "preferred"}};
  Must(state_.CreateJobQueue(queue));
  Register("def");
  AddHost();
  std::string first = Submit("first");
  std::string second = Submit("second");
  std::string third = Submit("third");

  EXPECT_EQ(Started(state_.Schedule()), (std::vector<std::string>{first, second, third}));
  EXPECT_EQ(EnvironmentOf(first), ArnOf("preferred"));
  EXPECT_EQ(EnvironmentOf(second), ArnOf("overflow"));
  EXPECT_EQ(EnvironmentOf(third), ArnOf("overflow"));

  // Room in the preferred environment again: it is used first again.
  state_.OnAttemptLaunched(first, 1, 1);
  state_.OnAttemptExited(first, 0, 0);
  std::string fourth = Submit("fourth");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{fourth});
  EXPECT_EQ(EnvironmentOf(fourth), ArnOf("preferred"));
}

TEST_F(ScheduleTest, EnvironmentMaxVcpusCapsWhatRuns) {
  AddEnvironment("small", /*maxv_cpus=*/2);
  AddQueue("q", 1, {"small"});
  Register("def");
  AddHost();  // 4 vCPU: the environment, not the host, is the limit
  std::string first = Submit("first");
  std::string second = Submit("second");
  std::string third = Submit("third");

  EXPECT_EQ(Started(state_.Schedule()), (std::vector<std::string>{first, second}));
  EXPECT_EQ(StatusOf(third), JobStatus::kRunnable);
  EXPECT_THAT(state_.ExplainWaiting(JobOf(third)), StartsWith("CAPACITY:"));
  EXPECT_TRUE(state_.Schedule().starts.empty());

  state_.OnAttemptLaunched(second, 2, 2);
  state_.OnAttemptExited(second, 1, 0);
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{third});
}

TEST_F(ScheduleTest, DisabledQueueDoesNotDispatch) {
  AddStandardWorld();
  AddHost();
  SetQueueState("q", "DISABLED");
  std::string id = Submit("job");  // a DISABLED queue still accepts jobs

  EXPECT_TRUE(state_.Schedule().starts.empty());
  EXPECT_EQ(StatusOf(id), JobStatus::kRunnable);
  EXPECT_THAT(state_.ExplainWaiting(JobOf(id)), HasSubstr("DISABLED"));

  SetQueueState("q", "ENABLED");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{id});
}

TEST_F(ScheduleTest, DisabledEnvironmentIsSkipped) {
  AddEnvironment("off");
  AddEnvironment("on");
  AddQueue("q", 1, {"off", "on"});
  AddQueue("only-off", 1, {"off"});
  Register("def");
  AddHost();
  SetState("off", "DISABLED");

  std::string skips = Submit("skips", "q");
  std::string waits = Submit("waits", "only-off");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{skips});
  EXPECT_EQ(EnvironmentOf(skips), ArnOf("on"));
  EXPECT_EQ(StatusOf(waits), JobStatus::kRunnable);
  EXPECT_THAT(state_.ExplainWaiting(JobOf(waits)), HasSubstr("No compute environment"));

  // Disabling lets running work finish; enabling dispatches again.
  state_.OnAttemptLaunched(skips, 1, 1);
  SetState("on", "DISABLED");
  EXPECT_EQ(StatusOf(skips), JobStatus::kRunning);
  state_.OnAttemptExited(skips, 0, 0);
  EXPECT_EQ(StatusOf(skips), JobStatus::kSucceeded);
  SetState("off", "ENABLED");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{waits});
}

TEST_F(ScheduleTest, HostNotAcceptingGetsNoWork) {
  AddStandardWorld();
  Host draining;
  draining.instance_id = "i-draining";
  draining.total = Resources{kHostMillivcpus, kHostMemoryMib, 0};
  draining.accepting = false;
  state_.AddHost(draining);
  std::string id = Submit("job");
  EXPECT_TRUE(state_.Schedule().starts.empty());

  AddHost();
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{id});
  EXPECT_EQ(JobOf(id).placement->instance_id, kHostId);
}

TEST_F(ScheduleTest, AJobThatDoesNotFitDoesNotBlockOnesThatDo) {
  AddStandardWorld();
  AddHost();
  Register("huge", "8", "1024");
  std::string huge = Submit("huge", "q", "huge");
  std::string small = Submit("small");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{small});
  EXPECT_EQ(StatusOf(huge), JobStatus::kRunnable);
}

// ---- ExplainWaiting ----

class ExplainWaitingTest : public ScheduleTest {};

TEST_F(ExplainWaitingTest, JobBiggerThanAnyHostIsAMisconfiguration) {
  AddStandardWorld();
  AddHost();
  Register("many-vcpus", "8", "1024");
  Register("much-memory", "1", "16384");
  for (const char* definition : {"many-vcpus", "much-memory"}) {
    SCOPED_TRACE(definition);
    std::string id = Submit("big", "q", definition);
    EXPECT_TRUE(state_.Schedule().starts.empty());
    EXPECT_THAT(state_.ExplainWaiting(JobOf(id)),
                StartsWith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"));
  }
}

TEST_F(ExplainWaitingTest, JobBiggerThanTheEnvironmentMaxIsAMisconfiguration) {
  AddEnvironment("small", /*maxv_cpus=*/2);
  AddQueue("q", 1, {"small"});
  Register("three", "3", "1024");
  AddHost();
  std::string id = Submit("job", "q", "three");
  EXPECT_TRUE(state_.Schedule().starts.empty());
  EXPECT_THAT(state_.ExplainWaiting(JobOf(id)),
              StartsWith("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"));
}

TEST_F(ExplainWaitingTest, JobThatFitsLaterIsWaitingForCapacity) {
  AddStandardWorld();
  AddHost();
  Register("whole-host", "4", "1024");
  std::string running = Submit("running", "q", "whole-host");
  std::string waiting = Submit("waiting");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{running});
  std::string explanation = state_.ExplainWaiting(JobOf(waiting));
  EXPECT_THAT(explanation, StartsWith("CAPACITY:"));
  EXPECT_THAT(explanation, HasSubstr("1 vCPU, 1024 MiB"));
}

}  // namespace
}  // namespace gleaner

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::MustOk;

class RetentionAndWaitingTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddHost(kHostId, 1000, 1024);
    AddStandardWorld();
  }
};

TEST_F(RetentionAndWaitingTest, FinishedJobsArePurgedAfterTheRetentionPeriod) {
  std::string id = Submit("job");
  MustOk(state_.CancelJob({id, "stop"}));
  state_.TakeChanges();
  clock_.Advance(7LL * 24 * 3600 * 1000 - 1);
  state_.Schedule();
  EXPECT_NE(state_.FindJob(id), nullptr);
  clock_.Advance(60'000);
  state_.Schedule();
  EXPECT_EQ(state_.FindJob(id), nullptr);
  EXPECT_EQ(state_.TakeChanges().deleted_jobs, (std::map<std::string, int>{{id, 0}}));
}

TEST_F(RetentionAndWaitingTest, PurgedJobsNameTheLogStreamsOfEveryAttempt) {
  SubmitJobRequest request = Request("retried");
  request.retry_strategy = RetryStrategy{2, {}};
  std::string id = Submit(request);
  std::string never_ran = Submit("never-ran");
  MustOk(state_.CancelJob({never_ran, "stop"}));
  RunToExit(id, 1);
  std::string first_stream = JobOf(id).attempts.at(0).container.log_stream_name;
  RunToExit(id, 0);
  ASSERT_EQ(StatusOf(id), JobStatus::kSucceeded);
  std::string second_stream = JobOf(id).attempts.at(1).container.log_stream_name;
  ASSERT_NE(first_stream, second_stream);
  state_.TakeChanges();
  clock_.Advance(7LL * 24 * 3600 * 1000 + 60'000);
  state_.Schedule();
  StateChanges changes = state_.TakeChanges();
  EXPECT_EQ(changes.deleted_jobs, (std::map<std::string, int>{{id, 2}, {never_ran, 0}}));
  EXPECT_EQ(changes.purged_log_streams, (std::vector<std::string>{first_stream, second_stream}));
}

TEST_F(RetentionAndWaitingTest, WaitingReasonCountsTheJobsAhead) {
  std::string first = Submit("first");
  state_.Schedule();  // takes the only vCPU
  std::string second = Submit("second");
  std::string third = Submit("third");
  EXPECT_THAT(state_.ExplainWaiting(JobOf(second)), ::testing::HasSubstr("CAPACITY:"));
  EXPECT_THAT(state_.ExplainWaiting(JobOf(second)),
              ::testing::Not(::testing::HasSubstr("come first")));
  EXPECT_THAT(
      state_.ExplainWaiting(JobOf(third)),
      ::testing::HasSubstr("1 RUNNABLE job(s) of this or higher-priority queues come first"));
  (void)first;
}

}  // namespace
}  // namespace gleaner

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;

class TimeLimitActionTest : public BatchStateTest {};

TEST_F(TimeLimitActionTest, CancelsAJobBlockedForTooLongWithAwsReason) {
  AddHost(kHostId, 1000, 1024);
  AddEnvironment("ce");
  JobQueue queue = Queue("q", 1, {"ce"});
  queue.job_state_time_limit_actions.push_back(
      {"MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "RUNNABLE", 600, "CANCEL"});
  Must(state_.CreateJobQueue(queue));
  Register("def");
  Register("huge", "1", "4096");  // more memory than the host has
  std::string fits = Submit("fits");
  std::string huge = Submit("huge", "q", "huge");
  state_.Schedule();
  clock_.Advance(599'000);
  state_.Schedule();
  EXPECT_EQ(StatusOf(huge), JobStatus::kRunnable);
  clock_.Advance(61'000);
  state_.Schedule();
  EXPECT_EQ(StatusOf(huge), JobStatus::kFailed);
  EXPECT_EQ(JobOf(huge).status_reason,
            "Canceled by JobStateTimeLimit action due to reason: "
            "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT");
  EXPECT_NE(StatusOf(fits), JobStatus::kFailed);
}

// A pass looks at a bounded number of jobs; queues that cannot place anything must not use it up.
class BoundedPassTest : public BatchStateTest {
 protected:
  BoundedPassTest()
      : BatchStateTest([] {
          BatchStateOptions options;
          options.max_jobs_examined_per_pass = 10;
          return options;
        }()) {}

  void Disable(const std::string& environment) {
    UpdateComputeEnvironmentRequest disable;
    disable.compute_environment = environment;
    disable.state = ResourceState::kDisabled;
    Must(state_.UpdateComputeEnvironment(disable));
  }

  // A 4 vCPU, 8 GiB host serving only `environment`.
  void AddHostOf(const std::string& environment, int64_t millivcpus = 4000) {
    Host host;
    host.instance_id = "i-" + environment;
    host.compute_environment_arn = state_.FindComputeEnvironment(environment)->arn;
    host.total = Resources{millivcpus, 8192, 0};
    state_.AddHost(host);
  }
};

TEST_F(BoundedPassTest, BacklogOfAQueueWithNoUsableCapacityIsNotExamined) {
  AddEnvironment("disabled");
  AddEnvironment("unmanned");
  AddEnvironment("working");
  AddQueue("stuck", 10, {"disabled"});
  AddQueue("unserved", 9, {"unmanned"});
  AddQueue("low", 1, {"working"});
  Register("def");
  Disable("disabled");
  AddHostOf("working");  // "unserved" has no host and cannot scale
  for (int i = 0; i < 20; ++i) {
    Submit("stuck-" + std::to_string(i), "stuck");
    Submit("unserved-" + std::to_string(i), "unserved");
  }
  std::string low = Submit("low", "low");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{low});
}

// Issue 10, item 4: jobs that cannot be placed cost a pass one attempt per shape, so a backlog of
// them in one queue never keeps a placeable job of another queue waiting.
TEST_F(BoundedPassTest, AnUnplaceableBacklogDoesNotStarveTheNextQueue) {
  AddEnvironment("big");
  AddEnvironment("small");
  AddQueue("first", 10, {"big"});
  AddQueue("second", 1, {"small"});
  Register("def");
  AddHostOf("big", 1000);  // full once "running" runs
  AddHostOf("small");
  std::string running = Submit("running", "first");
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{running});
  for (int i = 0; i < 50; ++i) Submit("waiting-" + std::to_string(i), "first");  // 5x the budget
  std::string placeable = Submit("placeable", "second");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{placeable});
}

TEST_F(BoundedPassTest, ADisabledComputeEnvironmentsBacklogOnLocalCapacityDoesNotStarve) {
  // Local capacity: one host serves every compute environment, so QueueMayPlace cannot rule out
  // the queue whose only compute environment is DISABLED.
  AddEnvironment("disabled");
  AddEnvironment("working");
  AddQueue("stuck", 10, {"disabled"});
  AddQueue("low", 1, {"working"});
  Register("def");
  Disable("disabled");
  AddHost();
  for (int i = 0; i < 50; ++i) Submit("stuck-" + std::to_string(i), "stuck");
  std::string low = Submit("low", "low");
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{low});
}

TEST_F(BatchStateTest, ABigJobThatWaitsDoesNotHoldBackSmallerLaterOnes) {
  AddStandardWorld();
  Register("huge", "4", "8192");
  AddHost();  // 4 vCPU, 8 GiB
  std::string small = Submit("small");
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{small});
  std::string huge = Submit("huge", "q", "huge");  // needs the whole host: waits
  std::string later_small = Submit("later-small");
  std::string third = Submit("third");
  EXPECT_EQ(Started(state_.Schedule()), (std::vector<std::string>{later_small, third}));
  EXPECT_EQ(StatusOf(huge), JobStatus::kRunnable);
}

TEST_F(BatchStateTest, JobsOfSeveralShapesStartInSubmissionOrder) {
  AddStandardWorld();
  Register("two", "2", "1024");
  AddHost("i-0000000000000001", 64'000, 65'536);
  std::vector<std::string> submitted;
  for (int i = 0; i < 6; ++i)
    submitted.push_back(Submit("j" + std::to_string(i), "q", i % 2 ? "two" : "def"));
  EXPECT_EQ(Started(state_.Schedule()), submitted);
}

}  // namespace
}  // namespace gleaner
