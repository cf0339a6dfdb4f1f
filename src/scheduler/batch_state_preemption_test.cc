// Interruptions apart from the retry budget (kPreemptionRetriesTag): requeued without spending an
// attempt, up to the budget, unless the retry strategy says an interruption ends the job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "model/json_codec.h"
#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace scheduler_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class BatchStatePreemptionTest : public BatchStateTest {
 protected:
  BatchStatePreemptionTest() {
    AddStandardWorld();
    AddHost(NextHost());
  }

  std::string NextHost() { return "i-00000000000000" + std::to_string(10 + hosts_++); }

  // The job's host is reclaimed: notice, gone, its process killed; a replacement joins.
  void Interrupt(const std::string& job_id) {
    std::string host = JobOf(job_id).placement->instance_id;
    state_.OnInterruptionNotice(host, clock_.NowMillis() + 120'000, false);
    state_.TerminateHost(host);
    state_.OnAttemptExited(job_id, 128 + SIGKILL, SIGKILL);
    AddHost(NextHost());
  }

  std::string SubmitTagged(const std::string& budget, std::optional<RetryStrategy> retry = {}) {
    SubmitJobRequest request = Request("job");
    if (!budget.empty()) request.tags[kPreemptionRetriesTag] = budget;
    request.retry_strategy = std::move(retry);
    return Submit(request);
  }

  int hosts_ = 0;
};

TEST_F(BatchStatePreemptionTest, ByDefaultAnInterruptionIsAnAttemptAsOnAws) {
  std::string id = SubmitTagged("");
  StartAndLaunch(id);
  Interrupt(id);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_THAT(JobOf(id).status_reason, StartsWith("Host EC2 (instance "));
}

TEST_F(BatchStatePreemptionTest, UnlimitedRequeuesEveryInterruptionWithoutSpendingAttempts) {
  std::string id = SubmitTagged("unlimited");  // one attempt, no retry strategy
  for (int i = 0; i < 3; ++i) {
    StartAndLaunch(id);
    Interrupt(id);
    ASSERT_EQ(StatusOf(id), JobStatus::kRunnable) << JobOf(id).status_reason;
  }
  RunToExit(id, 0);
  EXPECT_EQ(StatusOf(id), JobStatus::kSucceeded);
  ASSERT_EQ(JobOf(id).attempts.size(), 4u);
  nlohmann::json described = ToJson(JobOf(id));
  EXPECT_EQ(described["preemptionSummary"]["preemptedAttemptCount"], 3);
  EXPECT_EQ(described["preemptionSummary"]["recentPreemptedAttempts"].size(), 3u);
  EXPECT_THAT(described["preemptionSummary"]["recentPreemptedAttempts"][0]["statusReason"]
                  .get<std::string>(),
              StartsWith("Host EC2"));
}

TEST_F(BatchStatePreemptionTest, ABudgetOfTwoFailsTheJobAtTheThirdInterruption) {
  std::string id = SubmitTagged("2");
  for (int i = 0; i < 2; ++i) {
    StartAndLaunch(id);
    Interrupt(id);
    ASSERT_EQ(StatusOf(id), JobStatus::kRunnable);
  }
  StartAndLaunch(id);
  Interrupt(id);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_THAT(JobOf(id).status_reason, StartsWith("Host EC2 (instance "));
  EXPECT_THAT(JobOf(id).status_reason, HasSubstr("2 preemption retries, all spent"));
}

TEST_F(BatchStatePreemptionTest, TheJobsOwnFailuresStillHaveAllTheirAttempts) {
  RetryStrategy retry;
  retry.attempts = 2;
  std::string id = SubmitTagged("unlimited", retry);
  StartAndLaunch(id);
  Interrupt(id);
  RunToExit(id, 1);  // the first attempt the strategy counts
  ASSERT_EQ(StatusOf(id), JobStatus::kRunnable);
  RunToExit(id, 1);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
  EXPECT_EQ(JobOf(id).attempts.size(), 3u);
}

TEST_F(BatchStatePreemptionTest, ARuleThatExitsOnTheInterruptionIsObeyed) {
  RetryStrategy retry;
  retry.attempts = 5;
  retry.evaluate_on_exit = {EvaluateOnExit{"Host EC2*", std::nullopt, std::nullopt, "EXIT"}};
  std::string id = SubmitTagged("unlimited", retry);
  StartAndLaunch(id);
  Interrupt(id);
  EXPECT_EQ(StatusOf(id), JobStatus::kFailed);
}

TEST_F(BatchStatePreemptionTest, TheJobsTagWinsOverItsDefinitionsWhichWinsOverItsQueues) {
  JobDefinition limited = Definition("limited");
  limited.tags[kPreemptionRetriesTag] = "0";
  MustOk(state_.RegisterJobDefinition(limited).status());
  JobQueue queue = Queue("generous", 1, {"ce"});
  queue.tags[kPreemptionRetriesTag] = "unlimited";
  MustOk(state_.CreateJobQueue(queue).status());

  std::string queued = Submit("queued", "generous", "def");
  StartAndLaunch(queued);
  Interrupt(queued);
  EXPECT_EQ(StatusOf(queued), JobStatus::kRunnable) << "the queue's default";
  RunToExit(queued, 0);

  std::string defined = Submit("defined", "generous", "limited");
  StartAndLaunch(defined);
  Interrupt(defined);
  EXPECT_EQ(StatusOf(defined), JobStatus::kFailed) << "the definition's 0 wins";

  SubmitJobRequest own = Request("own", "generous", "limited");
  own.tags[kPreemptionRetriesTag] = "attempts";
  std::string tagged = Submit(own);
  StartAndLaunch(tagged);
  Interrupt(tagged);
  EXPECT_EQ(StatusOf(tagged), JobStatus::kFailed) << "AWS's way, by the job's own tag";
  EXPECT_THAT(JobOf(tagged).status_reason, StartsWith("Host EC2"));
}

}  // namespace
}  // namespace scheduler_test
}  // namespace gleaner
