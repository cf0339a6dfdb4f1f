// Hosts per compute environment, interruption notices, lost hosts and requests for capacity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace scheduler_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class BatchStateHostsTest : public BatchStateTest {
 protected:
  std::string ArnOf(const std::string& environment) {
    return state_.FindComputeEnvironment(environment)->arn;
  }

  void AddInstance(const std::string& instance_id, const std::string& environment,
                   int64_t millivcpus = 2000, int64_t memory_mib = 4096, bool booting = false) {
    Host host;
    host.instance_id = instance_id;
    host.container_instance_arn = state_.scope().EcsContainerInstance(instance_id);
    host.compute_environment_arn = ArnOf(environment);
    host.total = Resources{millivcpus, memory_mib, 0};
    host.booting = booting;
    state_.AddHost(std::move(host));
  }

  void Scale(const std::string& environment, int64_t room_millivcpus,
             std::vector<Resources> sizes = {Resources{2000, 4096, 0}}, std::string blocked = "") {
    ScalingCapacity capacity;
    capacity.room_millivcpus = room_millivcpus;
    capacity.instance_sizes = std::move(sizes);
    capacity.blocked_reason = std::move(blocked);
    state_.SetScalingCapacity(ArnOf(environment), capacity);
  }

  // Compute environment "spot", queue "q" on it, and a job running on `instance_id` there.
  std::string RunOnInstance(const std::string& instance_id, bool retry_on_host_loss = true) {
    AddEnvironment("spot");
    AddQueue("q", 1, {"spot"});
    if (retry_on_host_loss) {
      RegisterRetryingOnHostLoss();
    } else {
      Register("spot-def");  // no retry strategy: one attempt
    }
    AddInstance(instance_id, "spot");
    std::string job = Submit("a", "q", "spot-def");
    StartAndLaunch(job);
    return job;
  }

  // A job definition with a retry rule for reclaimed hosts, as AWS users write it.
  void RegisterRetryingOnHostLoss() {
    JobDefinition definition = Definition("spot-def");
    definition.retry_strategy = RetryStrategy{};
    definition.retry_strategy->attempts = 3;
    definition.retry_strategy->evaluate_on_exit = {
        EvaluateOnExit{"Host EC2*", std::nullopt, std::nullopt, "RETRY"},
        EvaluateOnExit{std::nullopt, std::nullopt, "*", "EXIT"},
    };
    MustOk(state_.RegisterJobDefinition(definition).status());
  }
};

TEST_F(BatchStateHostsTest, GpuJobsGoWhereGpusAreAndEachHoldsItsOwnGpus) {
  AddEnvironment("gpu");
  AddQueue("q", 1, {"gpu"});
  MustOk(state_
             .RegisterJobDefinition(
                 Definition("one-gpu",
                            [] {
                              ContainerProperties container = Container("1", "1024");
                              container.resource_requirements.push_back({"GPU", "1"});
                              return container;
                            }()))
             .status());
  AddInstance("i-cpu", "gpu", 8000, 16384);
  std::string first = Submit("a", "q", "one-gpu");
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());  // no host has a GPU
  Host gpu_host;
  gpu_host.instance_id = "i-gpu";
  gpu_host.compute_environment_arn = ArnOf("gpu");
  gpu_host.total = Resources{8000, 16384, 2};
  state_.AddHost(gpu_host);
  std::string second = Submit("b", "q", "one-gpu");
  std::string third = Submit("c", "q", "one-gpu");
  EXPECT_THAT(Started(state_.Schedule()), ElementsAre(first, second));
  EXPECT_EQ(JobOf(first).placement->instance_id, "i-gpu");
  EXPECT_THAT(JobOf(first).placement->gpu_ids, ElementsAre(0));
  EXPECT_THAT(JobOf(second).placement->gpu_ids, ElementsAre(1));
  state_.OnAttemptLaunched(first, 10, 100);
  state_.OnAttemptExited(first, 0, 0);
  EXPECT_THAT(Started(state_.Schedule()), ElementsAre(third));
  EXPECT_THAT(JobOf(third).placement->gpu_ids, ElementsAre(0));  // the GPU the first gave back
}

TEST_F(BatchStateHostsTest, AHostServesOnlyItsComputeEnvironment) {
  AddEnvironment("spot");
  AddEnvironment("other");
  AddQueue("q", 1, {"spot"});
  Register("def");
  AddInstance("i-other", "other");
  std::string job = Submit("a");
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
  AddInstance("i-spot", "spot");
  EXPECT_THAT(Started(state_.Schedule()), ElementsAre(job));
  EXPECT_EQ(JobOf(job).placement->instance_id, "i-spot");
  EXPECT_THAT(state_.JobsOnHost("i-spot"), ElementsAre(job));
}

TEST_F(BatchStateHostsTest, WaitingWithNoInstanceSaysSo) {
  AddStandardWorld();
  std::string job = Submit("a");
  state_.Schedule();
  EXPECT_THAT(state_.ExplainWaiting(JobOf(job)),
              HasSubstr("no instance serves the compute environments of job queue q"));
}

TEST_F(BatchStateHostsTest, AsksTheFirstScalableEnvironmentForCapacity) {
  AddEnvironment("spot");
  AddEnvironment("ondemand");
  AddQueue("q", 1, {"spot", "ondemand"});
  Register("def");
  Scale("spot", 4000);
  Scale("ondemand", 4000);
  Submit("a");
  Submit("b");
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), IsEmpty());
  ASSERT_EQ(decisions.capacity_requests.size(), 1u);
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("spot")).size(), 2u);
}

TEST_F(BatchStateHostsTest, FallsBackWhenTheFirstEnvironmentIsBlockedOrFull) {
  AddEnvironment("spot");
  AddEnvironment("ondemand");
  AddQueue("q", 1, {"spot", "ondemand"});
  Register("def");
  Scale("spot", 1000);  // room for one 1-vCPU job
  Scale("ondemand", 8000);
  Submit("a");
  Submit("b");
  Decisions decisions = state_.Schedule();
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("spot")).size(), 1u);
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("ondemand")).size(), 1u);

  Scale("spot", 8000, {Resources{2000, 4096, 0}}, "spot pools are in recovery");
  decisions = state_.Schedule();
  EXPECT_EQ(decisions.capacity_requests.count(ArnOf("spot")), 0u);
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("ondemand")).size(), 2u);
}

TEST_F(BatchStateHostsTest, BootingInstancesCoverWaitingJobsBeforeAskingForMore) {
  AddEnvironment("spot");
  AddQueue("q", 1, {"spot"});
  Register("def");
  Scale("spot", 8000);
  AddInstance("i-booting", "spot", 2000, 4096, /*booting=*/true);
  std::string a = Submit("a");
  Submit("b");
  Submit("c");
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), IsEmpty());
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("spot")).size(), 1u) << "two fit the booting one";
  EXPECT_THAT(state_.ExplainWaiting(JobOf(a)), HasSubstr("Instances are launching"));

  state_.OnHostReady("i-booting");
  EXPECT_EQ(Started(state_.Schedule()).size(), 2u);
}

TEST_F(BatchStateHostsTest, AJobNoInstanceTypeFitsGoesToTheNextEnvironment) {
  AddEnvironment("small");
  AddEnvironment("large");
  AddQueue("q", 1, {"small", "large"});
  Register("big", "8", "16384");
  Scale("small", 64000, {Resources{2000, 4096, 0}});
  Scale("large", 64000, {Resources{16000, 32768, 0}});
  Submit("a", "q", "big");
  Decisions decisions = state_.Schedule();
  EXPECT_EQ(decisions.capacity_requests.count(ArnOf("small")), 0u);
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("large")).size(), 1u);
}

TEST_F(BatchStateHostsTest, AJobNoSizeFitsIsAMisconfiguration) {
  AddEnvironment("small");
  AddQueue("q", 1, {"small"});
  Register("big", "8", "16384");
  Scale("small", 64000, {Resources{2000, 4096, 0}});
  std::string job = Submit("a", "q", "big");
  state_.Schedule();
  EXPECT_THAT(state_.ExplainWaiting(JobOf(job)),
              HasSubstr("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"));
}

TEST_F(BatchStateHostsTest, AnArrayAsksForManyChildrenAtOnce) {
  AddEnvironment("spot");
  AddQueue("q", 1, {"spot"});
  Register("def");
  Scale("spot", 5000);
  SubmitJobRequest request = Request("array");
  request.array_size = 100;
  Submit(request);
  Decisions decisions = state_.Schedule();
  EXPECT_EQ(decisions.capacity_requests.at(ArnOf("spot")).size(), 5u) << "bounded by the room";
}

TEST_F(BatchStateHostsTest, NoticeSignalsAttemptsAndStopsPlacement) {
  std::string job = RunOnInstance("i-spot");

  std::vector<std::string> on_host =
      state_.OnInterruptionNotice("i-spot", clock_.NowMillis() + 5000, /*signal_attempts=*/true);
  EXPECT_THAT(on_host, ElementsAre(job));
  Submit("b", "q", "spot-def");
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), IsEmpty()) << "nothing new on a host under notice";
  EXPECT_THAT(Signals(decisions), ElementsAre(std::make_pair(job, SIGTERM)));

  // It exits on the SIGTERM: the interruption caused it, and the rule retries it.
  state_.OnAttemptExited(job, 143, SIGTERM);
  EXPECT_EQ(StatusOf(job), JobStatus::kRunnable);
  ASSERT_EQ(JobOf(job).attempts.size(), 1u);
  EXPECT_EQ(JobOf(job).attempts[0].status_reason, "Host EC2 (instance i-spot) terminated.");
}

TEST_F(BatchStateHostsTest, AJobThatExitsZeroAfterTheNoticeSucceeds) {
  std::string job = RunOnInstance("i-spot");
  state_.OnInterruptionNotice("i-spot", clock_.NowMillis() + 5000, /*signal_attempts=*/false);
  EXPECT_THAT(Signals(state_.Schedule()), IsEmpty()) << "signalling was not asked for";
  state_.OnAttemptExited(job, 0, 0);
  EXPECT_EQ(StatusOf(job), JobStatus::kSucceeded);
}

TEST_F(BatchStateHostsTest, TerminatedHostKillsItsAttemptsWhichEndWithTheHostReason) {
  std::string job = RunOnInstance("i-spot", /*retry_on_host_loss=*/false);
  state_.TerminateHost("i-spot");
  EXPECT_EQ(state_.FindHost("i-spot"), nullptr);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(job, SIGKILL)));
  state_.OnAttemptExited(job, 137, SIGKILL);
  EXPECT_EQ(StatusOf(job), JobStatus::kFailed);
  EXPECT_EQ(JobOf(job).status_reason, "Host EC2 (instance i-spot) terminated.");
  EXPECT_THAT(state_.JobsOnHost("i-spot"), IsEmpty());
}

// Found by the engine simulation: a job terminated while its launch was in flight, on a host
// that was terminated meanwhile, got only SIGTERM at launch and ran on past its host's end.
TEST_F(BatchStateHostsTest, AnAttemptLaunchedAfterItsHostWentGetsSigkillEvenWhenTerminated) {
  AddEnvironment("spot");
  AddQueue("q", 1, {"spot"});
  Register("spot-def");
  AddInstance("i-spot", "spot");
  std::string job = Submit("a", "q", "spot-def");
  ASSERT_THAT(Started(state_.Schedule()), ElementsAre(job));  // STARTING, no pid yet
  MustOk(state_.TerminateJob({job, "queue deleted"}));
  state_.TerminateHost("i-spot");
  state_.OnAttemptLaunched(job, 4242, 1);
  EXPECT_EQ(state_.SignalDueAtLaunch(job), SIGKILL);
}

TEST_F(BatchStateHostsTest, LostHostEndsItsAttemptsAtOnceAndTheRetryStrategyDecides) {
  std::string running = RunOnInstance("i-agent");  // retried on "Host EC2*"
  std::string starting = Submit("b", "q", "spot-def");
  ASSERT_THAT(Started(state_.Schedule()), ElementsAre(starting));  // not launched yet
  state_.LoseHost("i-agent");
  EXPECT_EQ(state_.FindHost("i-agent"), nullptr);
  for (const std::string& job : {running, starting}) {
    EXPECT_EQ(StatusOf(job), JobStatus::kRunnable) << job;
    ASSERT_EQ(JobOf(job).attempts.size(), 1u);
    EXPECT_EQ(JobOf(job).attempts[0].status_reason, "Host EC2 (instance i-agent) terminated.");
  }
  EXPECT_THAT(state_.JobsOnHost("i-agent"), IsEmpty());
}

TEST_F(BatchStateHostsTest, RetriedAttemptRunsOnReplacementCapacity) {
  std::string job = RunOnInstance("i-first");
  state_.OnInterruptionNotice("i-first", clock_.NowMillis() + 5000, true);
  state_.Schedule();
  clock_.Advance(5000);
  state_.TerminateHost("i-first");
  state_.Schedule();
  state_.OnAttemptExited(job, 137, SIGKILL);
  ASSERT_EQ(StatusOf(job), JobStatus::kRunnable);
  AddInstance("i-second", "spot");
  StartAndLaunch(job, 5151);
  EXPECT_EQ(JobOf(job).placement->instance_id, "i-second");
  state_.OnAttemptExited(job, 0, 0);
  EXPECT_EQ(StatusOf(job), JobStatus::kSucceeded);
  ASSERT_EQ(JobOf(job).attempts.size(), 2u);
  EXPECT_EQ(JobOf(job).attempts[0].status_reason, "Host EC2 (instance i-first) terminated.");
}

TEST_F(BatchStateHostsTest, TerminateJobWinsOverAnInterruption) {
  std::string job = RunOnInstance("i-spot");
  state_.OnInterruptionNotice("i-spot", clock_.NowMillis() + 5000, true);
  MustOk(state_.TerminateJob({job, "stop it"}));
  state_.OnAttemptExited(job, 143, SIGTERM);
  EXPECT_EQ(StatusOf(job), JobStatus::kFailed);
  EXPECT_EQ(JobOf(job).status_reason, "stop it");
}

}  // namespace
}  // namespace scheduler_test
}  // namespace gleaner
