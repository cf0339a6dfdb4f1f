// BatchState's jobs: SubmitJob, the attempt lifecycle and retries, dependencies, cancel and
// terminate, ListJobs, and rebuilding after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/json_codec.h"
#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;
using scheduler_test::MustOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kEssentialContainerExited[] = "Essential container in task exited";

RetryStrategy Attempts(int attempts, std::vector<EvaluateOnExit> rules = {}) {
  RetryStrategy strategy;
  strategy.attempts = attempts;
  strategy.evaluate_on_exit = std::move(rules);
  return strategy;
}

// ---- SubmitJob ----

class SubmitJobTest : public BatchStateTest {
 protected:
  void SetUp() override { AddStandardWorld(); }
};

TEST_F(SubmitJobTest, CreatesARunnableJob) {
  clock_.Set(1'700'000'555'000);
  const Job& job = *Must(state_.SubmitJob(Request("my-job")));

  EXPECT_FALSE(job.job_id.empty());
  EXPECT_EQ(job.job_name, "my-job");
  EXPECT_EQ(job.JobArn(), state_.scope().Job(job.job_id));
  EXPECT_EQ(job.job_queue, state_.FindJobQueue("q")->arn);
  EXPECT_EQ(job.job_definition, state_.FindJobDefinition("def:1")->arn);
  EXPECT_EQ(job.status, JobStatus::kRunnable);
  EXPECT_EQ(job.created_at, 1'700'000'555'000);
  EXPECT_FALSE(job.started_at.has_value());
  EXPECT_EQ(job.required, (Resources{1000, 1024, 0}));
  EXPECT_TRUE(job.attempts.empty());
  EXPECT_EQ(state_.FindJob(job.job_id), &job);
  EXPECT_EQ(state_.job_count(), 1u);
}

TEST_F(SubmitJobTest, UnknownQueueOrDefinitionRejectedNamingTheField) {
  Result<const Job*> no_queue = state_.SubmitJob(Request("job", "nope", "def"));
  ASSERT_FALSE(no_queue.ok());
  EXPECT_EQ(no_queue.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_queue.status().message(), HasSubstr("jobQueue"));
  EXPECT_THAT(no_queue.status().message(), HasSubstr("\"nope\""));

  Result<const Job*> no_definition = state_.SubmitJob(Request("job", "q", "nope"));
  ASSERT_FALSE(no_definition.ok());
  EXPECT_EQ(no_definition.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_definition.status().message(), HasSubstr("jobDefinition"));
  EXPECT_THAT(no_definition.status().message(), HasSubstr("\"nope\""));

  EXPECT_EQ(state_.job_count(), 0u);
}

TEST_F(SubmitJobTest, ParametersOverrideDefaultsAndFillTheCommand) {
  JobDefinition definition = Definition("echo");
  definition.parameters = {{"greeting", "hello"}, {"who", "world"}};
  definition.container_properties->command = {"echo", "Ref::greeting", "Ref::who!", "Ref::missing"};
  Must(state_.RegisterJobDefinition(definition));

  SubmitJobRequest request = Request("job", "q", "echo");
  request.parameters = {{"who", "batch"}, {"extra", "x"}};
  const Job& job = *Must(state_.SubmitJob(request));

  EXPECT_EQ(job.parameters, (std::map<std::string, std::string>{
                                {"greeting", "hello"}, {"who", "batch"}, {"extra", "x"}}));
  EXPECT_THAT(job.container.properties->command,
              ElementsAre("echo", "hello", "batch!", "Ref::missing"));
  // The definition itself keeps its placeholders.
  EXPECT_THAT(state_.FindJobDefinition("echo")->container_properties->command,
              ElementsAre("echo", "Ref::greeting", "Ref::who!", "Ref::missing"));
}

TEST_F(SubmitJobTest, ContainerOverridesMergeEnvironmentAndReplaceRequirementsPerType) {
  JobDefinition definition = Definition("app", Container("2", "1024"));
  definition.parameters = {{"n", "3"}};
  definition.container_properties->environment = {{"KEEP", "1"}, {"CHANGE", "old"}};
  Must(state_.RegisterJobDefinition(definition));

  SubmitJobRequest request = Request("job", "q", "app");
  ContainerOverrides overrides;
  overrides.command = std::vector<std::string>{"run", "--times", "Ref::n"};
  overrides.environment = {{"CHANGE", "new"}, {"ADD", "2"}};
  overrides.resource_requirements = {{"MEMORY", "3072"}};
  request.container_overrides = overrides;
  const Job& job = *Must(state_.SubmitJob(request));

  const ContainerProperties& container = *job.container.properties;
  EXPECT_THAT(container.command, ElementsAre("run", "--times", "3"));
  EXPECT_THAT(container.environment,
              ElementsAre(KeyValuePair{"KEEP", "1"}, KeyValuePair{"CHANGE", "new"},
                          KeyValuePair{"ADD", "2"}));
  EXPECT_THAT(container.resource_requirements,
              ElementsAre(ResourceRequirement{"VCPU", "2"}, ResourceRequirement{"MEMORY", "3072"}));
  EXPECT_EQ(job.required, (Resources{2000, 3072, 0}));
}

TEST_F(SubmitJobTest, MissingMemoryRejected) {
  ContainerProperties no_memory = Container();
  no_memory.resource_requirements = {{"VCPU", "1"}};
  Must(state_.RegisterJobDefinition(Definition("no-memory", no_memory)));

  Result<const Job*> rejected = state_.SubmitJob(Request("job", "q", "no-memory"));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(rejected.status().message(), HasSubstr("MEMORY"));
  EXPECT_EQ(state_.job_count(), 0u);
  EXPECT_TRUE(state_.TakeChanges().jobs.empty());

  // The submitter may supply it.
  SubmitJobRequest request = Request("job", "q", "no-memory");
  request.container_overrides = ContainerOverrides{};
  request.container_overrides->resource_requirements = {{"MEMORY", "512"}};
  EXPECT_EQ(Must(state_.SubmitJob(request))->required, (Resources{1000, 512, 0}));
}

TEST_F(SubmitJobTest, ShareIdentifierRequiredOnFairShareQueuesAndForbiddenOnFifo) {
  SchedulingPolicy policy;
  policy.name = "policy";
  JobQueue fair = Queue("fair", 1, {"ce"});
  fair.scheduling_policy_arn = Must(state_.CreateSchedulingPolicy(policy))->arn;
  Must(state_.CreateJobQueue(fair));

  Result<const Job*> missing = state_.SubmitJob(Request("job", "fair"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("shareIdentifier"));

  SubmitJobRequest on_fifo = Request("job", "q");
  on_fifo.share_identifier = "team-a";
  Result<const Job*> forbidden = state_.SubmitJob(on_fifo);
  ASSERT_FALSE(forbidden.ok());
  EXPECT_THAT(forbidden.status().message(), HasSubstr("shareIdentifier"));
  EXPECT_EQ(state_.job_count(), 0u);

  SubmitJobRequest on_fair = Request("job", "fair");
  on_fair.share_identifier = "team-a";
  EXPECT_EQ(Must(state_.SubmitJob(on_fair))->share_identifier, "team-a");
}

// ---- the attempt lifecycle ----

class JobLifecycleTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddStandardWorld();
    AddHost();
  }

  std::string SubmitWithRetries(const std::string& name, RetryStrategy strategy) {
    SubmitJobRequest request = Request(name);
    request.retry_strategy = std::move(strategy);
    return Submit(request);
  }
};

TEST_F(JobLifecycleTest, ScheduleStartsARunnableJob) {
  std::string id = Submit("job");
  Decisions decisions = state_.Schedule();

  EXPECT_EQ(Started(decisions), std::vector<std::string>{id});
  EXPECT_TRUE(decisions.signals.empty());
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kStarting);
  ASSERT_TRUE(job.placement.has_value());
  EXPECT_EQ(job.placement->instance_id, kHostId);
  EXPECT_EQ(job.placement->compute_environment_arn, state_.FindComputeEnvironment("ce")->arn);
  EXPECT_EQ(job.placement->reserved, (Resources{1000, 1024, 0}));
  EXPECT_THAT(job.container.current->task_arn,
              StartsWith("arn:aws:ecs:us-east-1:123456789012:task/"));
  EXPECT_EQ(job.container.current->container_instance_arn,
            state_.scope().EcsContainerInstance(kHostId));
  EXPECT_THAT(job.container.current->log_stream_name, StartsWith("def/default/"));
  EXPECT_EQ(HostOf().used, (Resources{1000, 1024, 0}));

  EXPECT_TRUE(state_.Schedule().starts.empty());  // already placed
}

TEST_F(JobLifecycleTest, LaunchedAttemptIsRunningSinceNow) {
  std::string id = Submit("job");
  (void)state_.Schedule();
  clock_.Advance(2'500);
  state_.OnAttemptLaunched(id, 4242, 777);

  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kRunning);
  EXPECT_EQ(job.started_at, clock_.NowMillis());
  EXPECT_EQ(job.placement->pid, 4242);
  EXPECT_EQ(job.placement->process_start_ticks, 777);
  EXPECT_EQ(job.placement->started_at, clock_.NowMillis());
}

TEST_F(JobLifecycleTest, ExitZeroSucceedsAndReleasesTheHost) {
  std::string id = Submit("job");
  StartAndLaunch(id);
  EpochMillis started = clock_.NowMillis();
  clock_.Advance(10'000);
  state_.OnAttemptExited(id, 0, 0);

  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kSucceeded);
  EXPECT_EQ(job.stopped_at, clock_.NowMillis());
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_EQ(job.attempts[0].container.exit_code, 0);
  EXPECT_EQ(job.attempts[0].started_at, started);
  EXPECT_EQ(job.attempts[0].stopped_at, clock_.NowMillis());
  EXPECT_FALSE(job.placement.has_value());
  EXPECT_EQ(HostOf().used, Resources{});
}

TEST_F(JobLifecycleTest, NonZeroExitFailsWithTheAttemptRecorded) {
  std::string id = Submit("job");
  StartAndLaunch(id);
  std::string task_arn = JobOf(id).container.current->task_arn;
  clock_.Advance(1'000);
  state_.OnAttemptExited(id, 3, 0);

  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.status_reason, kEssentialContainerExited);
  EXPECT_EQ(job.stopped_at, clock_.NowMillis());
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_EQ(job.attempts[0].status_reason, kEssentialContainerExited);
  EXPECT_EQ(job.attempts[0].container.exit_code, 3);
  EXPECT_EQ(job.attempts[0].container.task_arn, task_arn);
  EXPECT_EQ(job.container.current->exit_code, 3);
  EXPECT_EQ(HostOf().used, Resources{});
}

TEST_F(JobLifecycleTest, KilledBySignalSaysSo) {
  std::string id = Submit("job");
  StartAndLaunch(id);
  state_.OnAttemptExited(id, 137, SIGKILL);
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.attempts.at(0).container.exit_code, 137);
  EXPECT_THAT(job.attempts.at(0).container.reason, HasSubstr(std::to_string(SIGKILL)));
}

TEST_F(JobLifecycleTest, RetriesUntilAttemptsAreUsedUp) {
  std::string id = SubmitWithRetries("job", Attempts(3));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    EXPECT_EQ(JobOf(id).AttemptNumber(), attempt);
    RunToExit(id, 1);
    EXPECT_EQ(JobOf(id).attempts.size(), static_cast<size_t>(attempt));
    EXPECT_EQ(StatusOf(id), attempt < 3 ? JobStatus::kRunnable : JobStatus::kFailed);
    EXPECT_EQ(HostOf().used, Resources{});
  }
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status_reason, kEssentialContainerExited);
  for (const AttemptDetail& attempt : job.attempts) EXPECT_EQ(attempt.container.exit_code, 1);
  EXPECT_TRUE(state_.Schedule().starts.empty());
}

TEST_F(JobLifecycleTest, SucceedingOnARetryEndsRetrying) {
  std::string id = SubmitWithRetries("job", Attempts(5));
  RunToExit(id, 1);
  RunToExit(id, 0);
  EXPECT_EQ(StatusOf(id), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(id).attempts.size(), 2u);
}

TEST_F(JobLifecycleTest, EvaluateOnExitExitRuleStopsRetries) {
  EvaluateOnExit exit_on_42;
  exit_on_42.on_exit_code = "42";
  exit_on_42.action = "exit";  // actions match case-insensitively
  std::string id = SubmitWithRetries("job", Attempts(5, {exit_on_42}));

  RunToExit(id, 1);  // no rule matches: retried
  EXPECT_EQ(StatusOf(id), JobStatus::kRunnable);
  RunToExit(id, 42);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_EQ(JobOf(id).attempts.size(), 2u);
}

TEST_F(JobLifecycleTest, LaunchFailureEndsTheAttemptWithItsReason) {
  const std::string reason = "CannotPullContainerError: image not found";
  std::string once = Submit("once");
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{once});
  state_.OnAttemptLaunchFailed(once, reason);

  const Job& job = JobOf(once);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.status_reason, reason);
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_EQ(job.attempts[0].status_reason, reason);
  EXPECT_EQ(job.attempts[0].container.reason, reason);
  EXPECT_FALSE(job.attempts[0].container.exit_code.has_value());
  EXPECT_EQ(HostOf().used, Resources{});

  std::string retried = SubmitWithRetries("retried", Attempts(2));
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{retried});
  state_.OnAttemptLaunchFailed(retried, reason);
  EXPECT_EQ(StatusOf(retried), JobStatus::kRunnable);
  EXPECT_EQ(JobOf(retried).attempts.size(), 1u);
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{retried});
}

// ---- dependencies ----

class DependencyTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddStandardWorld();
    AddHost();
  }
};

TEST_F(DependencyTest, PendingUntilEveryDependencySucceeds) {
  std::string a = Submit("a");
  std::string b = Submit("b");
  std::string c = SubmitAfter("c", {a, b});
  EXPECT_EQ(StatusOf(c), JobStatus::kPending);
  ASSERT_EQ(JobOf(c).depends_on.size(), 2u);

  Decisions decisions = state_.Schedule();
  EXPECT_EQ(Started(decisions), (std::vector<std::string>{a, b}));
  state_.OnAttemptLaunched(a, 1, 1);
  state_.OnAttemptLaunched(b, 2, 2);
  state_.OnAttemptExited(a, 0, 0);
  EXPECT_EQ(StatusOf(c), JobStatus::kPending);
  EXPECT_TRUE(state_.Schedule().starts.empty());

  state_.OnAttemptExited(b, 0, 0);
  EXPECT_EQ(StatusOf(c), JobStatus::kRunnable);
  EXPECT_EQ(Started(state_.Schedule()), std::vector<std::string>{c});
}

TEST_F(DependencyTest, AlreadySucceededDependencyMeansRunnableAtOnce) {
  std::string a = Submit("a");
  RunToExit(a, 0);
  ASSERT_EQ(StatusOf(a), JobStatus::kSucceeded);
  EXPECT_EQ(StatusOf(SubmitAfter("b", {a})), JobStatus::kRunnable);
}

TEST_F(DependencyTest, FailureSpreadsTransitivelyNamingTheDependency) {
  std::string a = Submit("a");
  std::string b = SubmitAfter("b", {a});
  std::string c = SubmitAfter("c", {b});
  std::string unrelated = Submit("unrelated");
  ASSERT_EQ(StatusOf(c), JobStatus::kPending);

  Decisions decisions = state_.Schedule();
  ASSERT_EQ(Started(decisions), (std::vector<std::string>{a, unrelated}));
  state_.OnAttemptLaunched(a, 1, 1);
  clock_.Advance(5'000);
  state_.OnAttemptExited(a, 1, 0);

  EXPECT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_THAT(JobOf(b).status_reason, HasSubstr(a));
  EXPECT_EQ(JobOf(b).stopped_at, clock_.NowMillis());
  EXPECT_TRUE(JobOf(b).attempts.empty());
  EXPECT_EQ(StatusOf(c), JobStatus::kFailed);
  EXPECT_THAT(JobOf(c).status_reason, HasSubstr(b));
  EXPECT_EQ(StatusOf(unrelated), JobStatus::kStarting);
}

TEST_F(DependencyTest, DependingOnAFailedJobFailsAtSubmit) {
  std::string a = Submit("a");
  MustOk(state_.CancelJob({a, "not needed"}));
  std::string b = SubmitAfter("b", {a});
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_THAT(JobOf(b).status_reason, HasSubstr(a));
}

TEST_F(DependencyTest, UnknownDependencyRejected) {
  std::string a = Submit("a");
  SubmitJobRequest request = Request("b");
  request.depends_on = {{a, ""}, {"00000000-0000-7000-8000-000000000000", ""}};
  Result<const Job*> rejected = state_.SubmitJob(request);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(rejected.status().message(), HasSubstr("dependsOn[1].jobId"));
  EXPECT_EQ(state_.job_count(), 1u);
}

// ---- CancelJob and TerminateJob ----

class StopJobTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddStandardWorld();
    AddHost();
  }
};

TEST_F(StopJobTest, CancelFailsAWaitingJob) {
  std::string id = Submit("job");
  clock_.Advance(100);
  MustOk(state_.CancelJob({id, "changed my mind"}));
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_EQ(JobOf(id).status_reason, "changed my mind");
  EXPECT_EQ(JobOf(id).stopped_at, clock_.NowMillis());
  EXPECT_TRUE(state_.Schedule().starts.empty());
}

TEST_F(StopJobTest, TerminatedWhileLaunchingGetsSigtermAtLaunchAndAFullGraceBeforeSigkill) {
  std::string id = Submit("job");
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{id});  // STARTING, no pid yet
  MustOk(state_.TerminateJob({id, "stop"}));
  state_.Schedule();
  clock_.Advance(30'000);  // the grace runs out before the launch is reported
  EXPECT_TRUE(Signals(state_.Schedule()).empty()) << "nothing to SIGKILL yet";
  state_.OnAttemptLaunched(id, 4242, 1);
  EXPECT_EQ(state_.SignalDueAtLaunch(id), SIGTERM);
  clock_.Advance(30'000);
  EXPECT_EQ(Signals(state_.Schedule()), (std::vector<std::pair<std::string, int>>{{id, SIGKILL}}));
}

TEST_F(StopJobTest, CancelPendingJobFailsItsDependents) {
  std::string a = Submit("a");
  std::string b = SubmitAfter("b", {a});
  std::string c = SubmitAfter("c", {b});
  MustOk(state_.CancelJob({b, "cancelled"}));
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(c), JobStatus::kFailed);
  EXPECT_THAT(JobOf(c).status_reason, HasSubstr(b));
  EXPECT_EQ(StatusOf(a), JobStatus::kRunnable);
}

TEST_F(StopJobTest, CancelHasNoEffectOnceStarted) {
  std::string id = Submit("job");
  StartAndLaunch(id);
  EXPECT_TRUE(state_.CancelJob({id, "too late"}).ok());
  EXPECT_EQ(StatusOf(id), JobStatus::kRunning);
  EXPECT_TRUE(state_.Schedule().signals.empty());
}

TEST_F(StopJobTest, StoppingAnUnknownJobSucceedsAndChangesNothing) {  // AWS answers 200 {}
  EXPECT_TRUE(state_.CancelJob({"00000000-0000-7000-8000-000000000000", "x"}).ok());
  EXPECT_TRUE(state_.TerminateJob({"00000000-0000-7000-8000-000000000000", "x"}).ok());
  EXPECT_EQ(state_.FindJob("00000000-0000-7000-8000-000000000000"), nullptr);
  EXPECT_TRUE(state_.TakeChanges().jobs.empty());
}

TEST_F(StopJobTest, TerminateSignalsThenKillsAndIsNotRetried) {
  SubmitJobRequest request = Request("job");
  request.retry_strategy = Attempts(3);
  std::string id = Submit(request);
  StartAndLaunch(id);

  MustOk(state_.TerminateJob({id, "operator stop"}));
  EXPECT_EQ(StatusOf(id), JobStatus::kRunning);
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 30'000);
  Decisions first = state_.Schedule();
  EXPECT_EQ(Signals(first), (std::vector<std::pair<std::string, int>>{{id, SIGTERM}}));
  EXPECT_TRUE(first.starts.empty());

  clock_.Advance(29'999);
  EXPECT_TRUE(state_.Schedule().signals.empty());
  clock_.Advance(1);
  EXPECT_EQ(Signals(state_.Schedule()), (std::vector<std::pair<std::string, int>>{{id, SIGKILL}}));
  EXPECT_FALSE(state_.NextTimer().has_value());
  EXPECT_TRUE(state_.Schedule().signals.empty());

  state_.OnAttemptExited(id, 137, SIGKILL);
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.status_reason, "operator stop");
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_EQ(job.attempts[0].status_reason, "operator stop");
  EXPECT_TRUE(state_.Schedule().starts.empty());
  EXPECT_EQ(HostOf().used, Resources{});
}

// Found by the engine simulation (seed 1493): a child of a deleted queue's array was terminated
// while its launch was in flight; the launch failed and the attempt was retried, so the array
// never finished.
TEST_F(StopJobTest, ALaunchThatFailsAfterTerminateIsNotRetried) {
  SubmitJobRequest request = Request("job");
  request.retry_strategy = Attempts(3);
  std::string id = Submit(request);
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{id});

  MustOk(state_.TerminateJob({id, "operator stop"}));
  state_.OnAttemptLaunchFailed(id, "CannotPullContainerError: image not found");
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.status_reason, "operator stop");
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_EQ(job.attempts[0].container.reason, "CannotPullContainerError: image not found");
  EXPECT_TRUE(state_.Schedule().starts.empty());
  EXPECT_EQ(HostOf().used, Resources{});
}

TEST_F(StopJobTest, ExitBeforeTheGraceEndsCancelsTheKill) {
  std::string id = Submit("job");
  StartAndLaunch(id);
  MustOk(state_.TerminateJob({id, "stop"}));
  MustOk(state_.TerminateJob({id, "stop again"}));  // one SIGTERM, the first reason
  EXPECT_EQ(Signals(state_.Schedule()), (std::vector<std::pair<std::string, int>>{{id, SIGTERM}}));

  clock_.Advance(1'000);
  state_.OnAttemptExited(id, 143, SIGTERM);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_EQ(JobOf(id).status_reason, "stop");
  EXPECT_FALSE(state_.NextTimer().has_value());
  clock_.Advance(60'000);
  EXPECT_TRUE(state_.Schedule().signals.empty());
}

TEST_F(StopJobTest, TimeoutTerminatesTheAttemptWithAFreshClockPerAttemptAndNoRetry) {
  SubmitJobRequest request = Request("job");
  request.retry_strategy = Attempts(3);
  request.timeout = JobTimeout{60};
  std::string id = Submit(request);
  StartAndLaunch(id);
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 60'000);

  clock_.Advance(59'999);
  EXPECT_TRUE(state_.Schedule().signals.empty());
  clock_.Advance(1);
  EXPECT_EQ(Signals(state_.Schedule()), (std::vector<std::pair<std::string, int>>{{id, SIGTERM}}));
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 30'000);
  clock_.Advance(30'000);
  EXPECT_EQ(Signals(state_.Schedule()), (std::vector<std::pair<std::string, int>>{{id, SIGKILL}}));

  state_.OnAttemptExited(id, 137, SIGKILL);
  const Job& job = JobOf(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.status_reason, "Job attempt duration exceeded timeout");
  EXPECT_EQ(job.attempts.size(), 1u);
}

TEST_F(StopJobTest, EachAttemptGetsItsOwnTimeout) {
  SubmitJobRequest request = Request("job");
  request.retry_strategy = Attempts(2);
  request.timeout = JobTimeout{100};
  std::string id = Submit(request);
  StartAndLaunch(id);
  clock_.Advance(90'000);
  state_.OnAttemptExited(id, 1, 0);  // fails on its own before the timeout: retried
  ASSERT_EQ(StatusOf(id), JobStatus::kRunnable);
  EXPECT_FALSE(state_.NextTimer().has_value());
  StartAndLaunch(id);
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 100'000);
  clock_.Advance(99'999);
  EXPECT_TRUE(state_.Schedule().signals.empty());
}

TEST_F(StopJobTest, TerminateFailsAJobThatHasNotStarted) {
  std::string id = Submit("job");
  MustOk(state_.TerminateJob({id, "never mind"}));
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_EQ(JobOf(id).status_reason, "never mind");
  Decisions decisions = state_.Schedule();
  EXPECT_TRUE(decisions.starts.empty());
  EXPECT_TRUE(decisions.signals.empty());
  EXPECT_TRUE(state_.TerminateJob({id, "again"}).ok());  // finished: nothing to do
}

// ---- ListJobs ----

class ListJobsTest : public BatchStateTest {
 protected:
  void SetUp() override { AddStandardWorld(); }

  // Every page, failing on a page that repeats.
  std::vector<std::string> ListAll(ListJobsRequest request, int page_size) {
    std::vector<std::string> seen;
    request.page.max_results = page_size;
    for (int page = 0; page < 100; ++page) {
      std::string next_token;
      std::vector<const Job*> found = Must(state_.ListJobs(request, &next_token));
      EXPECT_LE(found.size(), static_cast<size_t>(page_size));
      for (const Job* job : found) seen.push_back(job->job_id);
      if (next_token.empty()) return seen;
      request.page.next_token = next_token;
    }
    ADD_FAILURE() << "paging did not end";
    return seen;
  }

  static ListJobsRequest InQueue(std::optional<JobStatus> status = std::nullopt) {
    ListJobsRequest request;
    request.job_queue = "q";
    request.job_status = status;
    return request;
  }
};

TEST_F(ListJobsTest, DefaultsToRunningNewestFirst) {
  AddHost();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Submit("job" + std::to_string(i)));
    clock_.Advance(1'000);
  }
  ASSERT_EQ(Started(state_.Schedule()), ids);
  state_.OnAttemptLaunched(ids[0], 10, 10);
  state_.OnAttemptLaunched(ids[1], 11, 11);

  std::string next_token;
  std::vector<const Job*> running = Must(state_.ListJobs(InQueue(), &next_token));
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0]->job_id, ids[1]);
  EXPECT_EQ(running[1]->job_id, ids[0]);
  EXPECT_TRUE(next_token.empty());

  std::vector<const Job*> starting =
      Must(state_.ListJobs(InQueue(JobStatus::kStarting), &next_token));
  ASSERT_EQ(starting.size(), 1u);
  EXPECT_EQ(starting[0]->job_id, ids[2]);
  EXPECT_TRUE(Must(state_.ListJobs(InQueue(JobStatus::kSucceeded), &next_token)).empty());

  ListJobsRequest by_arn = InQueue();
  by_arn.job_queue = state_.FindJobQueue("q")->arn;
  EXPECT_EQ(Must(state_.ListJobs(by_arn, &next_token)).size(), 2u);
}

TEST_F(ListJobsTest, PagesCoverEveryJobExactlyOnceNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(Submit("job" + std::to_string(i)));  // several share a millisecond
    if (i % 3 == 0) clock_.Advance(1);
  }
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());

  for (int page_size : {1, 2, 3, 7, 100}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    EXPECT_EQ(ListAll(InQueue(JobStatus::kRunnable), page_size), newest_first);
    ListJobsRequest filtered = InQueue();
    filtered.filters = {{"JOB_NAME", {"job*"}}};
    EXPECT_EQ(ListAll(filtered, page_size), newest_first);
  }
}

TEST_F(ListJobsTest, JobNameFilterIsCaseInsensitiveWithPrefixStarOverEveryStatus) {
  AddHost();
  std::string upper = Submit("Alpha-1");
  RunToExit(upper, 0);  // every status is listed when a filter is given
  ASSERT_EQ(StatusOf(upper), JobStatus::kSucceeded);
  std::string lower = Submit("alpha-2");
  Submit("beta");
  std::string exact = Submit("ALPHA");

  ListJobsRequest prefix = InQueue(JobStatus::kRunning);
  prefix.filters = {{"JOB_NAME", {"ALPHA*"}}};
  EXPECT_EQ(ListAll(prefix, 100), (std::vector<std::string>{exact, lower, upper}));

  ListJobsRequest whole_name = InQueue();
  whole_name.filters = {{"JOB_NAME", {"alpha"}}};
  EXPECT_EQ(ListAll(whole_name, 100), std::vector<std::string>{exact});

  ListJobsRequest none = InQueue();
  none.filters = {{"JOB_NAME", {"gamma*"}}};
  EXPECT_TRUE(ListAll(none, 100).empty());
}

TEST_F(ListJobsTest, UnknownQueueRejected) {
  ListJobsRequest request;
  request.job_queue = "missing";
  std::string next_token;
  Result<std::vector<const Job*>> result = state_.ListJobs(request, &next_token);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("jobQueue"));
}

// ---- restoring after a restart ----

class RestoreTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddStandardWorld();
    AddHost();
  }

  // A new BatchState (a restarted server) fed everything this one holds, in store order.
  void RestoreInto(BatchState& restored, const std::vector<Job>& jobs) {
    restored.RestoreComputeEnvironment(*state_.FindComputeEnvironment("ce"));
    restored.RestoreJobQueue(*state_.FindJobQueue("q"));
    restored.RestoreJobDefinition(*state_.FindJobDefinition("def:1"));
    for (const Job& job : jobs) restored.RestoreJob(job);
  }
};

TEST_F(RestoreTest, PlacedAttemptsAreLostAndRetriedOrFailed) {
  SubmitJobRequest retryable_request = Request("retryable");
  retryable_request.retry_strategy = Attempts(2);
  std::string retryable = Submit(retryable_request);
  std::string last_attempt = Submit("last-attempt");
  SubmitJobRequest terminated_request = Request("terminated");
  terminated_request.retry_strategy = Attempts(3);
  std::string terminated = Submit(terminated_request);
  std::string waiting = Submit("waiting");
  std::vector<std::string> ids = {retryable, last_attempt, terminated};

  Decisions decisions = state_.Schedule();
  ASSERT_EQ(Started(decisions).size(), 4u);
  state_.OnAttemptLaunched(retryable, 4242, 1);
  state_.OnAttemptLaunched(last_attempt, 4343, 2);
  state_.OnAttemptLaunched(terminated, 4444, 3);
  MustOk(state_.TerminateJob({terminated, "operator stop"}));
  MustOk(state_.CancelJob({waiting, "keep one finished"}));  // STARTING: no effect
  state_.OnAttemptLaunchFailed(waiting, "boom");             // FAILED, no placement
  ASSERT_EQ(StatusOf(waiting), JobStatus::kFailed);

  std::vector<Job> saved;
  for (const std::string& id : {retryable, last_attempt, terminated, waiting}) {
    saved.push_back(JobOf(id));
  }
  clock_.Advance(60'000);
  BatchState restored(clock_, BatchStateOptions{});
  RestoreInto(restored, saved);
  std::vector<AttemptPlacement> lost = restored.FinishRestore();

  std::vector<int64_t> pids;
  for (const AttemptPlacement& placement : lost) pids.push_back(placement.pid);
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<int64_t>{4242, 4343, 4444}));
  for (const AttemptPlacement& placement : lost) {
    EXPECT_EQ(placement.instance_id, kHostId);
    EXPECT_EQ(placement.reserved, (Resources{1000, 1024, 0}));
  }

  const Job& retried = *restored.FindJob(retryable);
  EXPECT_EQ(retried.status, JobStatus::kRunnable);
  ASSERT_EQ(retried.attempts.size(), 1u);
  EXPECT_THAT(retried.attempts[0].status_reason, HasSubstr("lost"));
  EXPECT_FALSE(retried.placement.has_value());

  const Job& failed = *restored.FindJob(last_attempt);
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.attempts.size(), 1u);
  EXPECT_EQ(failed.stopped_at, clock_.NowMillis());

  // A terminated attempt is not retried even with attempts left.
  EXPECT_EQ(restored.FindJob(terminated)->status, JobStatus::kFailed);
  EXPECT_EQ(restored.FindJob(waiting)->status, JobStatus::kFailed);

  StateChanges changes = restored.TakeChanges();
  EXPECT_EQ(changes.jobs, (std::set<std::string>{retryable, last_attempt, terminated}));
  EXPECT_TRUE(changes.compute_environments.empty());

  // The lost attempts reserved nothing on the new server's host: only the retry uses it.
  Host host;
  host.instance_id = kHostId;
  host.total = Resources{kHostMillivcpus, kHostMemoryMib, 0};
  restored.AddHost(host);
  EXPECT_EQ(Started(restored.Schedule()), std::vector<std::string>{retryable});
  EXPECT_EQ(restored.hosts().at(kHostId).used, (Resources{1000, 1024, 0}));
  EXPECT_FALSE(restored.NextTimer().has_value());
}

TEST_F(RestoreTest, AttemptsRunningOnAnAgentOutliveTheRestartUntilItReturnsOrIsLost) {
  Host agent;
  agent.instance_id = "i-0000000000000000";  // before the local host: placed first
  agent.total = Resources{3000, 3072, 0};
  agent.remote = true;
  state_.AddHost(agent);
  SubmitJobRequest request = Request("on-agent");
  request.retry_strategy = Attempts(2);
  std::string running = Submit(request);
  std::string returns = Submit(request);
  // Its start was durable, so the agent may have got it: it too waits for the agent.
  std::string sent = Submit(request);
  ASSERT_EQ(Started(state_.Schedule()).size(), 3u);
  ASSERT_TRUE(JobOf(running).placement->remote);
  state_.OnAttemptLaunched(running, 777, 7);
  state_.OnAttemptLaunched(returns, 778, 8);
  std::string starting = Submit("starting");  // on the local host, never launched
  ASSERT_EQ(Started(state_.Schedule()).size(), 1u);
  std::vector<Job> saved = {JobOf(running), JobOf(returns), JobOf(sent), JobOf(starting)};

  for (bool agent_returns : {true, false}) {
    SCOPED_TRACE(agent_returns ? "the agent registers again" : "the agent never returns");
    BatchState restored(clock_, BatchStateOptions{});
    RestoreInto(restored, saved);
    std::vector<AttemptPlacement> lost = restored.FinishRestore();
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0].instance_id, kHostId);
    EXPECT_EQ(restored.FindJob(running)->status, JobStatus::kRunning);
    EXPECT_EQ(restored.FindJob(sent)->status, JobStatus::kStarting);
    EXPECT_THAT(restored.adrift_hosts(), ElementsAre(agent.instance_id));
    if (agent_returns) {
      restored.AddHost(agent);
      EXPECT_TRUE(restored.adrift_hosts().empty());
      EXPECT_EQ(restored.hosts().at(agent.instance_id).used, (Resources{3000, 3072, 0}));
      restored.OnAttemptExited(running, 0, 0);
      EXPECT_EQ(restored.FindJob(running)->status, JobStatus::kSucceeded);
      EXPECT_EQ(restored.hosts().at(agent.instance_id).used, (Resources{2000, 2048, 0}));
      restored.OnAttemptLaunched(sent, 779, 9);  // the agent reports it running
      EXPECT_EQ(restored.FindJob(sent)->status, JobStatus::kRunning);
    } else {
      restored.LoseHost(agent.instance_id);
      EXPECT_TRUE(restored.adrift_hosts().empty());
      const Job& retried = *restored.FindJob(running);
      EXPECT_EQ(retried.status, JobStatus::kRunnable);
      ASSERT_EQ(retried.attempts.size(), 1u);
      EXPECT_EQ(retried.attempts[0].status_reason,
                "Host EC2 (instance i-0000000000000000) terminated.");
      EXPECT_EQ(restored.FindJob(sent)->status, JobStatus::kRunnable);
    }
  }
}

TEST_F(RestoreTest, PendingJobWhoseDependencyAlreadySucceededBecomesRunnable) {
  std::string dependency = Submit("dependency");
  std::string dependent = SubmitAfter("dependent", {dependency});
  RunToExit(dependency, 0);
  ASSERT_EQ(StatusOf(dependency), JobStatus::kSucceeded);
  std::string failed_dependency = Submit("failed-dependency");
  std::string doomed = SubmitAfter("doomed", {failed_dependency});
  std::string still_waiting = SubmitAfter("still-waiting", {Submit("slow")});
  MustOk(state_.CancelJob({failed_dependency, "cancelled"}));

  // The server stopped after saving the dependencies but before saving their dependents.
  Job saved_dependent = JobOf(dependent);
  saved_dependent.status = JobStatus::kPending;
  Job saved_doomed = JobOf(doomed);
  saved_doomed.status = JobStatus::kPending;
  saved_doomed.stopped_at.reset();
  std::vector<Job> saved = {JobOf(dependency), saved_dependent, JobOf(failed_dependency),
                            saved_doomed, JobOf(still_waiting)};
  saved.push_back(JobOf(JobOf(still_waiting).depends_on.at(0).job_id));

  clock_.Advance(60'000);
  BatchState restored(clock_, BatchStateOptions{});
  RestoreInto(restored, saved);
  EXPECT_TRUE(restored.FinishRestore().empty());

  EXPECT_EQ(restored.FindJob(dependent)->status, JobStatus::kRunnable);
  EXPECT_EQ(restored.FindJob(doomed)->status, JobStatus::kFailed);
  EXPECT_THAT(restored.FindJob(doomed)->status_reason, HasSubstr(failed_dependency));
  EXPECT_EQ(restored.FindJob(still_waiting)->status, JobStatus::kPending);
  EXPECT_EQ(restored.TakeChanges().jobs, (std::set<std::string>{dependent, doomed}));
}

// ---- what a queued job stores ----

TEST_F(SubmitJobTest, JobsRunningTheirDefinitionsContainerAsItIsShareOneCopy) {
  const Job& first = JobOf(Submit("first"));
  const Job& second = JobOf(Submit("second"));
  EXPECT_TRUE(first.container.properties.SharedWith(second.container.properties));
  EXPECT_FALSE(first.container.current.Shared());  // no attempt yet: nothing stored

  SubmitJobRequest request = Request("overridden");
  ContainerOverrides overrides;
  overrides.environment = {{"MODE", "fast"}};
  request.container_overrides = overrides;
  const Job& overridden = *Must(state_.SubmitJob(request));
  EXPECT_FALSE(overridden.container.properties.SharedWith(first.container.properties));
  EXPECT_THAT(overridden.container.properties->environment,
              ElementsAre(KeyValuePair{"MODE", "fast"}));
  EXPECT_TRUE(first.container.properties->environment.empty());
  EXPECT_TRUE(state_.FindJobDefinition("def:1")->container_properties->environment.empty());
}

TEST_F(RestoreTest, RestoredJobsShareTheirDefinitionsContainerAndArnsAgain) {
  SubmitJobRequest request = Request("overridden");
  ContainerOverrides overrides;
  overrides.command = std::vector<std::string>{"other"};
  request.container_overrides = overrides;
  std::vector<Job> saved = {Must(JobFromRecord(ToRecord(JobOf(Submit("a"))))),
                            Must(JobFromRecord(ToRecord(JobOf(Submit("b"))))),
                            Must(JobFromRecord(ToRecord(*Must(state_.SubmitJob(request)))))};
  BatchState restored(clock_, BatchStateOptions{});
  RestoreInto(restored, saved);

  const Job& a = *restored.FindJob(saved[0].job_id);
  const Job& b = *restored.FindJob(saved[1].job_id);
  const Job& overridden = *restored.FindJob(saved[2].job_id);
  EXPECT_TRUE(a.container.properties.SharedWith(b.container.properties));
  EXPECT_TRUE(a.job_queue.SharedWith(b.job_queue));
  EXPECT_TRUE(a.job_definition.SharedWith(overridden.job_definition));
  EXPECT_FALSE(overridden.container.properties.SharedWith(a.container.properties));
  EXPECT_THAT(overridden.container.properties->command, ElementsAre("other"));
  EXPECT_EQ(a.JobArn(), state_.scope().Job(a.job_id));
}

}  // namespace
}  // namespace gleaner

namespace gleaner {
namespace {

using LaunchProgressTest = scheduler_test::BatchStateTest;

TEST_F(LaunchProgressTest, AStartingJobShowsWhatItsLaunchWaitsForUntilItRuns) {
  AddStandardWorld();
  AddHost();
  Register("small", "1", "512");
  std::string job_id = Submit("pulling", "q", "small");
  ASSERT_EQ(Started(state_.Schedule()), std::vector<std::string>{job_id});
  state_.TakeChanges();

  state_.OnAttemptLaunchProgress(job_id, 2, "Pulling image of another attempt");
  EXPECT_EQ(JobOf(job_id).status_reason, "");
  state_.OnAttemptLaunchProgress(job_id, 1, "Pulling image busybox");
  EXPECT_EQ(JobOf(job_id).status, JobStatus::kStarting);
  EXPECT_EQ(JobOf(job_id).status_reason, "Pulling image busybox");
  EXPECT_FALSE(state_.TakeChanges().jobs.empty());  // DescribeJobs and the store see it

  state_.OnAttemptLaunched(job_id, 7, 70);
  EXPECT_EQ(JobOf(job_id).status, JobStatus::kRunning);
  EXPECT_EQ(JobOf(job_id).status_reason, "");
  state_.OnAttemptLaunchProgress(job_id, 1, "Pulling image late");  // running: ignored
  EXPECT_EQ(JobOf(job_id).status_reason, "");
}

}  // namespace
}  // namespace gleaner
