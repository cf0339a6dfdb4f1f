// BatchState's array jobs: lazy children "<parent>:<i>", statusSummary, SEQUENTIAL and N_TO_N,
// dependencies on whole arrays and on single children, cancel and terminate of an array, what
// children inherit, ListJobs --array-job-id, and rebuilding an array in flight after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <memory>
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
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr char kTimedOut[] = "Job attempt duration exceeded timeout";

std::string ChildOf(const std::string& parent, int index) {
  return parent + ":" + std::to_string(index);
}

RetryStrategy Attempts(int attempts) {
  RetryStrategy strategy;
  strategy.attempts = attempts;
  return strategy;
}

class ArrayTest : public BatchStateTest {
 protected:
  void SetUp() override { AddStandardWorld(); }

  // A host with room for `slots` children of "def" (1 vCPU, 1024 MiB each).
  void AddHostWithSlots(int slots) {
    AddHost(kHostId, int64_t{slots} * 1000, int64_t{slots} * 1024);
  }

  static SubmitJobRequest ArrayRequest(const std::string& name, int size,
                                       std::vector<JobDependency> depends_on = {}) {
    SubmitJobRequest request = Request(name);
    request.array_size = size;
    request.depends_on = std::move(depends_on);
    return request;
  }

  std::string SubmitArray(const std::string& name, int size,
                          std::vector<JobDependency> depends_on = {}) {
    return Submit(ArrayRequest(name, size, std::move(depends_on)));
  }

  static SubmitJobRequest SubmitAfterRequest(const std::string& dependency) {
    SubmitJobRequest request = Request("after");
    request.depends_on = {{dependency, ""}};
    return request;
  }

  std::string SubmitSequential(const std::string& name, int size) {
    return SubmitArray(name, size, {{"", "SEQUENTIAL"}});
  }

  std::string SubmitNToN(const std::string& name, int size, const std::string& source) {
    return SubmitArray(name, size, {{source, "N_TO_N"}});
  }

  // The status of any job, array children made or not.
  JobStatus AnyStatus(const std::string& job_id) const {
    std::optional<JobStatus> status = state_.StatusOf(job_id);
    if (!status) throw std::runtime_error("no job (made or virtual) " + job_id);
    return *status;
  }

  bool Made(const std::string& job_id) const { return state_.FindJob(job_id) != nullptr; }

  // statusSummary with the statuses that have no children left out, so expectations stay short.
  // Checks on the way that the full summary names every status and sums to the array's size.
  std::map<std::string, int> Summary(const std::string& parent_id) const {
    const Job& parent = JobOf(parent_id);
    std::map<std::string, int> full = state_.ArrayStatusSummary(parent);
    EXPECT_EQ(full.size(), static_cast<size_t>(kJobStatusCount)) << "every status is present";
    int total = 0;
    std::map<std::string, int> nonzero;
    for (const auto& [status, count] : full) {
      EXPECT_GE(count, 0) << status;
      total += count;
      if (count != 0) nonzero[status] = count;
    }
    EXPECT_EQ(total, *parent.array_size) << "statusSummary must sum to the array size";
    // The summary agrees with the status of every child, made or virtual.
    std::map<std::string, int> counted;
    for (int i = 0; i < *parent.array_size; ++i) {
      counted[std::string(ToString(AnyStatus(ChildOf(parent_id, i))))]++;
    }
    EXPECT_EQ(nonzero, counted) << "statusSummary disagrees with the children's statuses";
    return nonzero;
  }

  // Launches every attempt the decisions start; returns their ids.
  std::vector<std::string> LaunchAll(const Decisions& decisions) {
    std::vector<std::string> ids = Started(decisions);
    for (const std::string& id : ids) {
      state_.OnAttemptLaunched(id, next_pid_, next_pid_ * 10);
      ++next_pid_;
      EXPECT_EQ(StatusOf(id), JobStatus::kRunning) << id;
    }
    return ids;
  }

  std::vector<std::string> ScheduleAndLaunch() { return LaunchAll(state_.Schedule()); }

  void Exit(const std::string& job_id, int exit_code, int term_signal = 0) {
    ASSERT_EQ(StatusOf(job_id), JobStatus::kRunning) << job_id;
    state_.OnAttemptExited(job_id, exit_code, term_signal);
  }

  std::vector<std::string> ListChildren(const std::string& parent_id,
                                        std::optional<JobStatus> status,
                                        std::optional<int> max_results, std::string* next_token,
                                        const std::string& token = "") {
    ListJobsRequest request;
    request.array_job_id = parent_id;
    request.job_status = status;
    request.page.max_results = max_results;
    request.page.next_token = token;
    std::vector<std::string> ids;
    for (const Job& child : Must(state_.ListArrayChildren(request, next_token))) {
      ids.push_back(child.job_id);
    }
    return ids;
  }

  int64_t next_pid_ = 1000;
};

// ---- lazy children, AWS_BATCH fields, statusSummary ----

TEST_F(ArrayTest, ChildrenAreMadeOnlyAsCapacityAllows) {
  AddHostWithSlots(2);
  std::string parent = SubmitArray("five", 5);

  const Job& submitted = JobOf(parent);
  EXPECT_EQ(submitted.status, JobStatus::kPending);
  EXPECT_TRUE(submitted.IsArrayParent());
  EXPECT_EQ(submitted.array_size, 5);
  EXPECT_FALSE(submitted.array_index.has_value());
  EXPECT_EQ(state_.job_count(), 1u) << "an array is one record at submission";
  EXPECT_FALSE(Made(ChildOf(parent, 0)));
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNABLE", 5}}));

  Decisions decisions = state_.Schedule();
  EXPECT_EQ(Started(decisions), (std::vector<std::string>{ChildOf(parent, 0), ChildOf(parent, 1)}));
  EXPECT_EQ(state_.job_count(), 3u) << "only the two children that fit are made";
  for (int i = 2; i < 5; ++i) EXPECT_FALSE(Made(ChildOf(parent, i))) << i;
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"STARTING", 2}, {"RUNNABLE", 3}}));
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);

  // A made child: its own id and ARN, index and size, the parent's name, queue and definition.
  const Job& child = JobOf(ChildOf(parent, 1));
  EXPECT_TRUE(child.IsArrayChild());
  EXPECT_FALSE(child.IsArrayParent());
  EXPECT_EQ(child.array_index, 1);
  EXPECT_EQ(child.array_size, 5);
  EXPECT_EQ(child.JobArn(), state_.scope().Job(ChildOf(parent, 1)));
  EXPECT_EQ(child.job_name, "five");
  EXPECT_EQ(child.job_queue, submitted.job_queue);
  EXPECT_EQ(child.job_definition, submitted.job_definition);
  EXPECT_EQ(child.status, JobStatus::kStarting);
  EXPECT_EQ(HostOf().used, (Resources{2000, 2048, 0}));

  // DescribeJobs on a child not made yet: a virtual copy, RUNNABLE.
  std::optional<Job> virtual_child = state_.VirtualArrayChild(ChildOf(parent, 4));
  ASSERT_TRUE(virtual_child.has_value());
  EXPECT_EQ(virtual_child->job_id, ChildOf(parent, 4));
  EXPECT_EQ(virtual_child->JobArn(), state_.scope().Job(ChildOf(parent, 4)));
  EXPECT_EQ(virtual_child->status, JobStatus::kRunnable);
  EXPECT_EQ(virtual_child->array_index, 4);
  EXPECT_EQ(virtual_child->array_size, 5);
  EXPECT_EQ(virtual_child->job_name, "five");
  EXPECT_TRUE(virtual_child->IsArrayChild());
  EXPECT_TRUE(virtual_child->attempts.empty());
  EXPECT_FALSE(Made(ChildOf(parent, 4))) << "describing a child does not make it";
  // Made children, the parent, indexes out of range and non-arrays have no virtual copy.
  EXPECT_FALSE(state_.VirtualArrayChild(ChildOf(parent, 0)).has_value());
  EXPECT_FALSE(state_.VirtualArrayChild(parent).has_value());
  EXPECT_FALSE(state_.VirtualArrayChild(ChildOf(parent, 5)).has_value());
  EXPECT_FALSE(state_.StatusOf(ChildOf(parent, 5)).has_value());
  std::string plain = Submit("plain");
  EXPECT_FALSE(state_.VirtualArrayChild(ChildOf(plain, 0)).has_value());
  EXPECT_FALSE(state_.StatusOf(ChildOf(plain, 0)).has_value());
  MustOk(state_.CancelJob({plain, "not needed"}));

  EXPECT_THAT(Started(state_.Schedule()), IsEmpty()) << "the host is full";
  EXPECT_EQ(state_.job_count(), 4u);
}

TEST_F(ArrayTest, AllChildrenSucceedingSucceedsTheParentAndTheSummarySumsAtEveryStep) {
  AddHostWithSlots(2);
  std::string parent = SubmitArray("five", 5);
  Summary(parent);
  std::vector<std::string> finished;
  for (int round = 0; round < 10 && finished.size() < 5; ++round) {
    std::vector<std::string> running = ScheduleAndLaunch();
    Summary(parent);
    ASSERT_FALSE(running.empty()) << "round " << round;
    EXPECT_LE(running.size(), 2u);
    for (const std::string& id : running) {
      EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
      clock_.Advance(1000);
      Exit(id, 0);
      EXPECT_EQ(StatusOf(id), JobStatus::kSucceeded);
      finished.push_back(id);
      Summary(parent);
    }
  }
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(ChildOf(parent, i));
  EXPECT_EQ(finished, expected) << "children start in index order";
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(parent).stopped_at, clock_.NowMillis());
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"SUCCEEDED", 5}}));
  EXPECT_EQ(state_.job_count(), 6u);
  EXPECT_EQ(HostOf().used, Resources{});
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
}

TEST_F(ArrayTest, LargeArrayIsOneRecordUntilChildrenCanRun) {
  std::string parent = SubmitArray("big", 10'000);  // no host: nothing can run
  EXPECT_EQ(state_.job_count(), 1u);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNABLE", 10'000}}));
  EXPECT_EQ(state_.VirtualArrayChild(ChildOf(parent, 9'999))->status, JobStatus::kRunnable);
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
  EXPECT_EQ(state_.job_count(), 1u);
}

TEST_F(ArrayTest, AnyChildFailingFailsTheParentOnceTheOthersHaveRun) {
  AddHostWithSlots(8);
  std::string parent = SubmitArray("three", 3);
  EXPECT_EQ(ScheduleAndLaunch().size(), 3u);

  Exit(ChildOf(parent, 1), 2);
  EXPECT_EQ(StatusOf(ChildOf(parent, 1)), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending) << "the other children are still running";
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kRunning);
  EXPECT_EQ(StatusOf(ChildOf(parent, 2)), JobStatus::kRunning);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNING", 2}, {"FAILED", 1}}));

  Exit(ChildOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
  Exit(ChildOf(parent, 2), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_THAT(JobOf(parent).status_reason, HasSubstr("1 of 3"));
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"SUCCEEDED", 2}, {"FAILED", 1}}));
}

// ---- SEQUENTIAL ----

TEST_F(ArrayTest, SequentialRunsOneChildAtATimeInOrder) {
  AddHostWithSlots(8);
  std::string parent = SubmitSequential("seq", 4);
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNABLE", 1}, {"PENDING", 3}}));
  EXPECT_EQ(state_.VirtualArrayChild(ChildOf(parent, 3))->status, JobStatus::kPending);

  for (int i = 0; i < 4; ++i) {
    std::vector<std::string> running = ScheduleAndLaunch();
    ASSERT_EQ(running, std::vector<std::string>{ChildOf(parent, i)})
        << "only child " << i << " may run although the host has room for 8";
    const Job& child = JobOf(ChildOf(parent, i));
    if (i == 0) {
      EXPECT_TRUE(child.depends_on.empty());
    } else {
      ASSERT_EQ(child.depends_on.size(), 1u);
      EXPECT_EQ(child.depends_on[0].job_id, ChildOf(parent, i - 1));
      EXPECT_EQ(child.depends_on[0].type, "SEQUENTIAL");
    }
    for (int later = i + 1; later < 4; ++later) {
      EXPECT_EQ(AnyStatus(ChildOf(parent, later)), JobStatus::kPending);
    }
    EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
    Summary(parent);
    clock_.Advance(500);
    Exit(ChildOf(parent, i), 0);
    Summary(parent);
  }
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"SUCCEEDED", 4}}));
  // The attempts did not overlap: each started after the previous one stopped.
  for (int i = 1; i < 4; ++i) {
    EXPECT_GE(*JobOf(ChildOf(parent, i)).started_at, *JobOf(ChildOf(parent, i - 1)).stopped_at);
  }
}

TEST_F(ArrayTest, SequentialChildFailureFailsTheRest) {
  AddHostWithSlots(8);
  std::string parent = SubmitSequential("seq", 4);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 0)});
  Exit(ChildOf(parent, 0), 0);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 1)});
  Exit(ChildOf(parent, 1), 1);

  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_THAT(JobOf(parent).status_reason, HasSubstr(ChildOf(parent, 1)));
  for (int i : {2, 3}) {
    std::optional<Job> rest = state_.VirtualArrayChild(ChildOf(parent, i));
    ASSERT_TRUE(rest.has_value()) << i << " is never made";
    EXPECT_EQ(rest->status, JobStatus::kFailed);
    EXPECT_THAT(rest->status_reason, HasSubstr(ChildOf(parent, 1)));
    EXPECT_TRUE(rest->attempts.empty());
  }
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"SUCCEEDED", 1}, {"FAILED", 3}}));
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
  EXPECT_EQ(state_.job_count(), 3u);
}

TEST_F(ArrayTest, SequentialChildIsRetriedBeforeTheNextStarts) {
  AddHostWithSlots(8);
  SubmitJobRequest request = ArrayRequest("seq", 2, {{"", "SEQUENTIAL"}});
  request.retry_strategy = Attempts(2);
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 0)});
  Exit(ChildOf(parent, 0), 1);
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kRunnable);
  EXPECT_EQ(AnyStatus(ChildOf(parent, 1)), JobStatus::kPending);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 0)});
  Exit(ChildOf(parent, 0), 0);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 1)});
  Exit(ChildOf(parent, 1), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(ChildOf(parent, 0)).attempts.size(), 2u);
}

TEST_F(ArrayTest, SequentialNeedsAnArrayAndTakesNoJobId) {
  SubmitJobRequest not_array = Request("not-array");
  not_array.depends_on = {{"", "SEQUENTIAL"}};
  Result<const Job*> rejected = state_.SubmitJob(not_array);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(rejected.status().message(), HasSubstr("dependsOn[0].jobId is required"));

  std::string other = Submit("other");
  Result<const Job*> with_id =
      state_.SubmitJob(ArrayRequest("with-id", 3, {{other, "SEQUENTIAL"}}));
  ASSERT_FALSE(with_id.ok());
  EXPECT_THAT(with_id.status().message(), HasSubstr("SEQUENTIAL"));
  EXPECT_EQ(state_.job_count(), 1u);
}

// ---- N_TO_N ----

TEST_F(ArrayTest, NToNChildWaitsForItsOwnSourceChild) {
  AddHostWithSlots(8);
  std::string a = SubmitArray("a", 3);
  std::string b = SubmitNToN("b", 3, a);
  EXPECT_EQ(StatusOf(b), JobStatus::kPending);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"PENDING", 3}}));

  EXPECT_THAT(ScheduleAndLaunch(),
              UnorderedElementsAre(ChildOf(a, 0), ChildOf(a, 1), ChildOf(a, 2)));
  EXPECT_FALSE(Made(ChildOf(b, 0)));

  // Out of order: a:2 first. Only b:2 may start.
  Exit(ChildOf(a, 2), 0);
  EXPECT_EQ(StatusOf(ChildOf(b, 2)), JobStatus::kRunnable);
  const Job& b2 = JobOf(ChildOf(b, 2));
  ASSERT_EQ(b2.depends_on.size(), 1u);
  EXPECT_EQ(b2.depends_on[0].job_id, ChildOf(a, 2));
  EXPECT_EQ(b2.depends_on[0].type, "N_TO_N");
  EXPECT_EQ(AnyStatus(ChildOf(b, 0)), JobStatus::kPending);
  EXPECT_EQ(AnyStatus(ChildOf(b, 1)), JobStatus::kPending);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"RUNNABLE", 1}, {"PENDING", 2}}));
  EXPECT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(b, 2)});
  Exit(ChildOf(b, 2), 0);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"SUCCEEDED", 1}, {"PENDING", 2}}));

  // a:1 fails: b:1 fails without running, naming a:1; b:0 is untouched.
  Exit(ChildOf(a, 1), 1);
  EXPECT_EQ(StatusOf(ChildOf(b, 1)), JobStatus::kFailed);
  EXPECT_THAT(JobOf(ChildOf(b, 1)).status_reason, HasSubstr(ChildOf(a, 1)));
  EXPECT_TRUE(JobOf(ChildOf(b, 1)).attempts.empty());
  EXPECT_EQ(AnyStatus(ChildOf(b, 0)), JobStatus::kPending);
  EXPECT_EQ(StatusOf(b), JobStatus::kPending);
  EXPECT_EQ(Summary(b),
            (std::map<std::string, int>{{"SUCCEEDED", 1}, {"FAILED", 1}, {"PENDING", 1}}));

  Exit(ChildOf(a, 0), 0);
  EXPECT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(b, 0)});
  Exit(ChildOf(b, 0), 0);
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"SUCCEEDED", 2}, {"FAILED", 1}}));
}

TEST_F(ArrayTest, NToNOnAFinishedArraySettlesAtSubmission) {
  AddHostWithSlots(8);
  std::string a = SubmitArray("a", 2);
  ScheduleAndLaunch();
  Exit(ChildOf(a, 0), 0);
  Exit(ChildOf(a, 1), 0);
  ASSERT_EQ(StatusOf(a), JobStatus::kSucceeded);
  std::string b = SubmitNToN("b", 2, a);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"RUNNABLE", 2}}));
  EXPECT_THAT(ScheduleAndLaunch(), UnorderedElementsAre(ChildOf(b, 0), ChildOf(b, 1)));
}

// A source child that is never made (its array was cancelled, or a SEQUENTIAL sibling failed)
// still fails the N_TO_N child waiting for it: nothing may stay PENDING for ever.
TEST_F(ArrayTest, NToNChildOfANeverMadeSourceChildFails) {
  AddHostWithSlots(8);
  std::string a = SubmitSequential("a", 3);
  std::string b = SubmitNToN("b", 3, a);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(a, 0)});
  Exit(ChildOf(a, 0), 0);
  ASSERT_EQ(ScheduleAndLaunch(),
            (std::vector<std::string>{ChildOf(a, 1), ChildOf(b, 0)}));  // submission order
  Exit(ChildOf(a, 1), 1);                                               // a:2 is never made
  ASSERT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(AnyStatus(ChildOf(b, 1)), JobStatus::kFailed);
  EXPECT_EQ(AnyStatus(ChildOf(b, 2)), JobStatus::kFailed)
      << "b:2 waits for a:2, which can never run";
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"RUNNING", 1}, {"FAILED", 2}}));
  Exit(ChildOf(b, 0), 0);
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"SUCCEEDED", 1}, {"FAILED", 2}}));
}

TEST_F(ArrayTest, NToNOnACancelledSourceFailsEveryChild) {
  std::string a = SubmitArray("a", 3);  // no host: nothing runs
  std::string b = SubmitNToN("b", 3, a);
  MustOk(state_.CancelJob({a, "not wanted"}));
  ASSERT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(b), JobStatus::kFailed);
  EXPECT_EQ(Summary(b), (std::map<std::string, int>{{"FAILED", 3}}));
}

TEST_F(ArrayTest, NToNNeedsAnArrayOfTheSameSize) {
  std::string a = SubmitArray("a", 3);
  std::string plain = Submit("plain");
  for (const auto& [source, size] :
       std::vector<std::pair<std::string, int>>{{a, 4}, {a, 2}, {plain, 3}, {ChildOf(a, 0), 3}}) {
    Result<const Job*> rejected = state_.SubmitJob(ArrayRequest("b", size, {{source, "N_TO_N"}}));
    ASSERT_FALSE(rejected.ok()) << source << " size " << size;
    EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(rejected.status().message(), HasSubstr("N_TO_N"));
    EXPECT_THAT(rejected.status().message(), HasSubstr("dependsOn[0]"));
  }
  Result<const Job*> unknown =
      state_.SubmitJob(ArrayRequest("b", 3, {{"00000000-0000-7000-8000-000000000000", "N_TO_N"}}));
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(state_.job_count(), 2u);
}

// ---- dependencies on arrays ----

TEST_F(ArrayTest, PlainDependencyOnAnArrayWaitsForTheWholeArray) {
  AddHostWithSlots(8);
  std::string a = SubmitArray("a", 2);
  std::string after = SubmitAfter("after", {a});
  EXPECT_EQ(StatusOf(after), JobStatus::kPending);
  ScheduleAndLaunch();
  Exit(ChildOf(a, 0), 0);
  EXPECT_EQ(StatusOf(after), JobStatus::kPending) << "one child is not the array";
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
  Exit(ChildOf(a, 1), 0);
  EXPECT_EQ(StatusOf(a), JobStatus::kSucceeded);
  EXPECT_EQ(StatusOf(after), JobStatus::kRunnable);
  EXPECT_EQ(ScheduleAndLaunch(), std::vector<std::string>{after});
}

TEST_F(ArrayTest, FailedArrayFailsItsDependentsTransitively) {
  AddHostWithSlots(8);
  std::string a = SubmitArray("a", 2);
  std::string after = SubmitAfter("after", {a});
  std::string after_after = SubmitAfter("after-after", {after});
  std::string array_after = SubmitArray("array-after", 3, {{after, ""}});
  ScheduleAndLaunch();
  Exit(ChildOf(a, 0), 0);
  Exit(ChildOf(a, 1), 1);
  EXPECT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(after), JobStatus::kFailed);
  EXPECT_THAT(JobOf(after).status_reason, HasSubstr(a));
  EXPECT_TRUE(JobOf(after).attempts.empty());
  EXPECT_EQ(StatusOf(after_after), JobStatus::kFailed);
  EXPECT_THAT(JobOf(after_after).status_reason, HasSubstr(after));
  EXPECT_EQ(StatusOf(array_after), JobStatus::kFailed);
  EXPECT_THAT(JobOf(array_after).status_reason, HasSubstr(after));
  EXPECT_EQ(Summary(array_after), (std::map<std::string, int>{{"FAILED", 3}}));
  EXPECT_THAT(state_.VirtualArrayChild(ChildOf(array_after, 2))->status_reason, HasSubstr(after));
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
}

TEST_F(ArrayTest, ArrayWaitsForItsOwnDependencyBeforeAnyChildIsRunnable) {
  AddHostWithSlots(8);
  std::string first = Submit("first");
  std::string array = SubmitArray("array", 3, {{first, ""}});
  EXPECT_EQ(StatusOf(array), JobStatus::kPending);
  EXPECT_EQ(Summary(array), (std::map<std::string, int>{{"PENDING", 3}}));
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{first});
  Exit(first, 0);
  EXPECT_EQ(Summary(array), (std::map<std::string, int>{{"RUNNABLE", 3}}));
  EXPECT_EQ(ScheduleAndLaunch().size(), 3u);
}

TEST_F(ArrayTest, DependencyOnASingleChild) {
  AddHostWithSlots(1);
  std::string a = SubmitArray("a", 3);
  std::string on_child = SubmitAfter("on-child-1", {ChildOf(a, 1)});  // a:1 not made yet
  EXPECT_EQ(StatusOf(on_child), JobStatus::kPending);

  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(a, 0)});
  Exit(ChildOf(a, 0), 0);
  EXPECT_EQ(StatusOf(on_child), JobStatus::kPending) << "a:0 is not a:1";
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(a, 1)});
  Exit(ChildOf(a, 1), 0);
  EXPECT_EQ(StatusOf(on_child), JobStatus::kRunnable);
  EXPECT_EQ(StatusOf(a), JobStatus::kPending) << "a:2 has not run";
  // Submission order: a (and its a:2) before on-child-1.
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(a, 2)});
  Exit(ChildOf(a, 2), 0);
  EXPECT_EQ(ScheduleAndLaunch(), std::vector<std::string>{on_child});
}

TEST_F(ArrayTest, DependencyOnAChildThatIsNeverMadeFails) {
  AddHostWithSlots(1);
  std::string a = SubmitArray("a", 3);
  std::string on_child = SubmitAfter("on-child-2", {ChildOf(a, 2)});
  std::string on_failed_child = SubmitAfter("on-child-0", {ChildOf(a, 0)});
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(a, 0)});
  MustOk(state_.CancelJob({a, "cancelled by the test"}));
  // a:2 will never be made: it is FAILED now (DescribeJobs says so), and so is what waits on it,
  // although a:0 still runs and a is not done yet.
  EXPECT_EQ(StatusOf(on_child), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(on_failed_child), JobStatus::kPending);
  Exit(ChildOf(a, 0), 1);
  EXPECT_EQ(StatusOf(a), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(on_child), JobStatus::kFailed);
  EXPECT_THAT(JobOf(on_child).status_reason, HasSubstr(ChildOf(a, 2)));
  EXPECT_EQ(StatusOf(on_failed_child), JobStatus::kFailed);
  EXPECT_THAT(JobOf(on_failed_child).status_reason, HasSubstr(ChildOf(a, 0)));
}

TEST_F(ArrayTest, UnknownChildDependencyRejected) {
  std::string a = SubmitArray("a", 3);
  for (const std::string& id : {ChildOf(a, 3), ChildOf(a, 99), a + ":x", a + ":"}) {
    Result<const Job*> rejected = state_.SubmitJob(SubmitAfterRequest(id));
    ASSERT_FALSE(rejected.ok()) << id;
    EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(rejected.status().message(), HasSubstr(id));
  }
}

// ---- cancel and terminate ----

TEST_F(ArrayTest, CancelFailsChildrenNotStartedAndTheParentOnceRunningOnesEnd) {
  AddHostWithSlots(2);
  SubmitJobRequest request = ArrayRequest("five", 5);
  request.retry_strategy = Attempts(2);
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch(),
            (std::vector<std::string>{ChildOf(parent, 0), ChildOf(parent, 1)}));
  Exit(ChildOf(parent, 1), 1);  // retried: a made RUNNABLE child
  ASSERT_EQ(StatusOf(ChildOf(parent, 1)), JobStatus::kRunnable);
  std::string after = SubmitAfter("after", {parent});

  MustOk(state_.CancelJob({parent, "cancelled by the test"}));
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kRunning) << "cancel leaves running children";
  EXPECT_EQ(StatusOf(ChildOf(parent, 1)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(ChildOf(parent, 1)).status_reason, "cancelled by the test");
  EXPECT_EQ(JobOf(ChildOf(parent, 1)).attempts.size(), 1u);
  for (int i = 2; i < 5; ++i) {
    std::optional<Job> child = state_.VirtualArrayChild(ChildOf(parent, i));
    ASSERT_TRUE(child.has_value()) << i;
    EXPECT_EQ(child->status, JobStatus::kFailed);
    EXPECT_EQ(child->status_reason, "cancelled by the test");
  }
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending) << "a child still runs";
  EXPECT_EQ(StatusOf(after), JobStatus::kPending);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNING", 1}, {"FAILED", 4}}));
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), IsEmpty());
  EXPECT_THAT(Signals(decisions), IsEmpty()) << "cancel signals nothing";

  Exit(ChildOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "cancelled by the test");
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"SUCCEEDED", 1}, {"FAILED", 4}}));
  EXPECT_EQ(StatusOf(after), JobStatus::kFailed);
  EXPECT_THAT(JobOf(after).status_reason, HasSubstr(parent));
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
  EXPECT_EQ(state_.job_count(), 4u) << "cancelled children were never made";

  // Cancelling again, or terminating, a finished array changes nothing.
  MustOk(state_.CancelJob({parent, "again"}));
  MustOk(state_.TerminateJob({parent, "again"}));
  EXPECT_EQ(JobOf(parent).status_reason, "cancelled by the test");
}

TEST_F(ArrayTest, CancelOfAnArrayWithNothingRunningFailsItAtOnce) {
  std::string parent = SubmitSequential("seq", 4);
  MustOk(state_.CancelJob({parent, "stop"}));
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "stop");
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kFailed);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"FAILED", 4}}));
}

TEST_F(ArrayTest, StoppingOneChildNotMadeYetIsAClearErrorThatChangesNothing) {
  std::string parent = SubmitSequential("seq", 4);  // only child 0 is made
  for (bool terminate : {false, true}) {
    StopJobRequest request{ChildOf(parent, 2), "just this one"};
    Status status = terminate ? state_.TerminateJob(request) : state_.CancelJob(request);
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(status.message(), HasSubstr("not supported yet"));
    EXPECT_THAT(status.message(), HasSubstr(ChildOf(parent, 2)));
  }
  EXPECT_EQ(state_.StatusOf(ChildOf(parent, 2)), JobStatus::kPending);
  MustOk(state_.CancelJob({parent + ":9", "out of range: no such job, nothing to do"}));
  MustOk(state_.CancelJob({ChildOf(parent, 0), "the made one can be"}));
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kFailed);
}

TEST_F(ArrayTest, TerminateSignalsRunningChildrenAndFailsTheRest) {
  AddHostWithSlots(2);
  SubmitJobRequest request = ArrayRequest("four", 4);
  request.retry_strategy = Attempts(3);
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch(),
            (std::vector<std::string>{ChildOf(parent, 0), ChildOf(parent, 1)}));

  MustOk(state_.TerminateJob({parent, "terminated by the test"}));
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), IsEmpty());
  EXPECT_THAT(Signals(decisions),
              UnorderedElementsAre(std::make_pair(ChildOf(parent, 0), SIGTERM),
                                   std::make_pair(ChildOf(parent, 1), SIGTERM)));
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNING", 2}, {"FAILED", 2}}));

  Exit(ChildOf(parent, 0), 143, SIGTERM);
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kFailed) << "not retried";
  EXPECT_EQ(JobOf(ChildOf(parent, 0)).status_reason, "terminated by the test");
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);

  // Child 1 ignores SIGTERM: SIGKILL after the grace period.
  clock_.Advance(BatchStateOptions{}.stop_grace_millis);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(ChildOf(parent, 1), SIGKILL)));
  Exit(ChildOf(parent, 1), 137, SIGKILL);
  EXPECT_EQ(StatusOf(ChildOf(parent, 1)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(ChildOf(parent, 1)).attempts.size(), 1u);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "terminated by the test");
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"FAILED", 4}}));
  EXPECT_EQ(HostOf().used, Resources{});
  EXPECT_THAT(Started(state_.Schedule()), IsEmpty());
}

// ---- what children inherit ----

TEST_F(ArrayTest, ChildrenInheritTheRetryStrategyAndRetryIndependently) {
  AddHostWithSlots(8);
  SubmitJobRequest request = ArrayRequest("retried", 3);
  request.retry_strategy = Attempts(3);
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(JobOf(ChildOf(parent, i)).retry_strategy.has_value());
    EXPECT_EQ(JobOf(ChildOf(parent, i)).retry_strategy->attempts, 3);
  }
  Exit(ChildOf(parent, 1), 1);
  EXPECT_EQ(StatusOf(ChildOf(parent, 1)), JobStatus::kRunnable) << "child 1 alone is retried";
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kRunning);
  EXPECT_EQ(Summary(parent), (std::map<std::string, int>{{"RUNNING", 2}, {"RUNNABLE", 1}}));
  Exit(ChildOf(parent, 0), 0);
  Exit(ChildOf(parent, 2), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 1)});
  Exit(ChildOf(parent, 1), 1);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 1)});
  Exit(ChildOf(parent, 1), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(ChildOf(parent, 1)).attempts.size(), 3u);
  EXPECT_EQ(JobOf(ChildOf(parent, 0)).attempts.size(), 1u);
  EXPECT_TRUE(JobOf(parent).attempts.empty());
}

TEST_F(ArrayTest, ChildrenInheritTheTimeoutWithAClockEach) {
  AddHostWithSlots(1);
  SubmitJobRequest request = ArrayRequest("timed", 2);
  request.timeout = JobTimeout{60};
  request.retry_strategy = Attempts(2);  // timed-out attempts are not retried anyway
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 0)});
  EXPECT_EQ(JobOf(ChildOf(parent, 0)).timeout->attempt_duration_seconds, 60);
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 60'000);

  clock_.Advance(59'999);
  EXPECT_THAT(Signals(state_.Schedule()), IsEmpty());
  clock_.Advance(1);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(ChildOf(parent, 0), SIGTERM)));
  Exit(ChildOf(parent, 0), 143, SIGTERM);
  EXPECT_EQ(StatusOf(ChildOf(parent, 0)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(ChildOf(parent, 0)).status_reason, kTimedOut);

  // Child 1 starts now, with its own 60 s.
  ASSERT_EQ(ScheduleAndLaunch(), std::vector<std::string>{ChildOf(parent, 1)});
  EXPECT_EQ(state_.NextTimer(), clock_.NowMillis() + 60'000);
  clock_.Advance(30'000);
  Exit(ChildOf(parent, 1), 0);
  EXPECT_FALSE(state_.NextTimer().has_value());
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
}

// ---- ListJobs --array-job-id ----

TEST_F(ArrayTest, ListArrayChildrenFiltersByStatusAndPages) {
  AddHostWithSlots(3);
  std::string parent = SubmitArray("seven", 7);
  ASSERT_EQ(ScheduleAndLaunch().size(), 3u);
  Exit(ChildOf(parent, 1), 0);

  std::string token;
  // Without a status: RUNNING, in index order.
  EXPECT_EQ(ListChildren(parent, std::nullopt, std::nullopt, &token),
            (std::vector<std::string>{ChildOf(parent, 0), ChildOf(parent, 2)}));
  EXPECT_TRUE(token.empty());
  EXPECT_EQ(ListChildren(parent, JobStatus::kSucceeded, std::nullopt, &token),
            std::vector<std::string>{ChildOf(parent, 1)});
  EXPECT_THAT(ListChildren(parent, JobStatus::kFailed, std::nullopt, &token), IsEmpty());

  // Virtual children are listed too, and paged.
  std::vector<std::vector<std::string>> pages;
  std::string next;
  for (int guard = 0; guard < 10; ++guard) {
    std::string out;
    pages.push_back(ListChildren(parent, JobStatus::kRunnable, 2, &out, next));
    if (out.empty()) break;
    next = out;
  }
  EXPECT_EQ(pages,
            (std::vector<std::vector<std::string>>{{ChildOf(parent, 3), ChildOf(parent, 4)},
                                                   {ChildOf(parent, 5), ChildOf(parent, 6)}}));

  // Page size 1 over RUNNING skips the children between.
  token.clear();
  EXPECT_EQ(ListChildren(parent, JobStatus::kRunning, 1, &token),
            std::vector<std::string>{ChildOf(parent, 0)});
  ASSERT_FALSE(token.empty());
  std::string last_token;
  EXPECT_EQ(ListChildren(parent, JobStatus::kRunning, 1, &last_token, token),
            std::vector<std::string>{ChildOf(parent, 2)});
  EXPECT_TRUE(last_token.empty());

  // What a listed virtual child says about itself.
  ListJobsRequest request;
  request.array_job_id = parent;
  request.job_status = JobStatus::kRunnable;
  std::vector<Job> listed = Must(state_.ListArrayChildren(request, &token));
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0].array_index, 3);
  EXPECT_EQ(listed[0].array_size, 7);
  EXPECT_EQ(listed[0].status, JobStatus::kRunnable);

  // Not an array: nothing.
  std::string plain = Submit("plain");
  token.clear();
  EXPECT_THAT(ListChildren(plain, JobStatus::kRunnable, std::nullopt, &token), IsEmpty());
  EXPECT_THAT(ListChildren("no-such-job", JobStatus::kRunnable, std::nullopt, &token), IsEmpty());
}

TEST_F(ArrayTest, QueueListingsShowParentsNotChildren) {
  AddHostWithSlots(8);
  std::string parent = SubmitArray("arr", 2);
  ScheduleAndLaunch();
  ListJobsRequest request;
  request.job_queue = "q";
  request.job_status = JobStatus::kRunning;
  std::string token;
  EXPECT_THAT(Must(state_.ListJobs(request, &token)), IsEmpty());
  request.job_status = JobStatus::kPending;
  std::vector<const Job*> pending = Must(state_.ListJobs(request, &token));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]->job_id, parent);
}

// ---- restore ----

class ArrayRestoreTest : public ArrayTest {
 protected:
  // A restarted server: everything this one holds, saved with ToRecord, read back with
  // *FromRecord and restored in store (key) order.
  std::unique_ptr<BatchState> Restart(const std::vector<std::string>& job_ids) {
    auto restored = std::make_unique<BatchState>(clock_, BatchStateOptions{});
    restored->RestoreComputeEnvironment(
        Must(ComputeEnvironmentFromRecord(ToRecord(*state_.FindComputeEnvironment("ce")))));
    restored->RestoreJobQueue(Must(JobQueueFromRecord(ToRecord(*state_.FindJobQueue("q")))));
    restored->RestoreJobDefinition(
        Must(JobDefinitionFromRecord(ToRecord(*state_.FindJobDefinition("def:1")))));
    std::set<std::string> ordered(job_ids.begin(), job_ids.end());
    for (const std::string& id : ordered) {
      restored->RestoreJob(Must(JobFromRecord(ToRecord(JobOf(id)))));
    }
    return restored;
  }

  // Every made job of these arrays (and the other ids given).
  std::vector<std::string> AllJobs(const std::vector<std::string>& ids) const {
    std::vector<std::string> all;
    for (const std::string& id : ids) {
      all.push_back(id);
      const Job& job = JobOf(id);
      if (!job.IsArrayParent()) continue;
      for (int i = 0; i < *job.array_size; ++i) {
        if (Made(ChildOf(id, i))) all.push_back(ChildOf(id, i));
      }
    }
    return all;
  }

  static void AddSlotsTo(BatchState& state, int slots) {
    Host host;
    host.instance_id = kHostId;
    host.container_instance_arn = state.scope().EcsContainerInstance(kHostId);
    host.total = Resources{int64_t{slots} * 1000, int64_t{slots} * 1024, 0};
    state.AddHost(std::move(host));
  }

  static std::map<std::string, int> NonZero(const std::map<std::string, int>& summary) {
    std::map<std::string, int> nonzero;
    for (const auto& [status, count] : summary) {
      if (count != 0) nonzero[status] = count;
    }
    return nonzero;
  }

  static std::vector<std::string> LaunchOn(BatchState& state, const Decisions& decisions) {
    std::vector<std::string> ids = Started(decisions);
    for (const std::string& id : ids) state.OnAttemptLaunched(id, 7000, 70000);
    return ids;
  }
};

TEST_F(ArrayRestoreTest, ArrayInFlightContinuesAfterRestart) {
  AddHostWithSlots(2);
  SubmitJobRequest request = ArrayRequest("five", 5);
  request.retry_strategy = Attempts(2);
  std::string parent = Submit(request);
  ASSERT_EQ(ScheduleAndLaunch(),
            (std::vector<std::string>{ChildOf(parent, 0), ChildOf(parent, 1)}));
  Exit(ChildOf(parent, 0), 0);
  // Child 1 is RUNNING when the server stops; child 2 was never made.
  std::vector<std::string> saved = AllJobs({parent});
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(JobOf(parent).array_next_index, 2);

  clock_.Advance(10'000);
  std::unique_ptr<BatchState> restored = Restart(saved);
  std::vector<AttemptPlacement> lost = restored->FinishRestore();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(restored->FindJob(ChildOf(parent, 1))->status, JobStatus::kRunnable)
      << "the lost attempt is retried: the child has attempts left";
  EXPECT_EQ(restored->FindJob(parent)->array_next_index, 2) << "the cursor survived";
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kPending);
  EXPECT_EQ(NonZero(restored->ArrayStatusSummary(*restored->FindJob(parent))),
            (std::map<std::string, int>{{"SUCCEEDED", 1}, {"RUNNABLE", 4}}));
  EXPECT_EQ(restored->StatusOf(ChildOf(parent, 4)), JobStatus::kRunnable);
  EXPECT_EQ(restored->VirtualArrayChild(ChildOf(parent, 3))->status, JobStatus::kRunnable);

  // The array is still ready: the retried child and the children from the cursor on run, two at
  // a time, until the array is done.
  AddSlotsTo(*restored, 2);
  std::vector<std::string> ran;
  for (int round = 0; round < 10; ++round) {
    std::vector<std::string> started = LaunchOn(*restored, restored->Schedule());
    if (started.empty()) break;
    EXPECT_LE(started.size(), 2u);
    std::map<std::string, int> summary =
        NonZero(restored->ArrayStatusSummary(*restored->FindJob(parent)));
    int total = 0;
    for (const auto& [status, count] : summary) total += count;
    EXPECT_EQ(total, 5);
    EXPECT_EQ(summary["RUNNING"], static_cast<int>(started.size()));
    for (const std::string& id : started) {
      EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kPending);
      restored->OnAttemptExited(id, 0, 0);
      ran.push_back(id);
    }
  }
  EXPECT_THAT(ran, UnorderedElementsAre(ChildOf(parent, 1), ChildOf(parent, 2), ChildOf(parent, 3),
                                        ChildOf(parent, 4)))
      << "child 0 does not run again; every other child runs once";
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kSucceeded);
  EXPECT_EQ(NonZero(restored->ArrayStatusSummary(*restored->FindJob(parent))),
            (std::map<std::string, int>{{"SUCCEEDED", 5}}));
  EXPECT_EQ(restored->FindJob(ChildOf(parent, 1))->attempts.size(), 2u);
  EXPECT_EQ(restored->FindJob(ChildOf(parent, 0))->attempts.size(), 1u);
  EXPECT_EQ(restored->job_count(), 6u);
}

TEST_F(ArrayRestoreTest, SequentialAndNToNInFlightContinueAfterRestart) {
  AddHostWithSlots(8);
  std::string gate = Submit("gate");
  std::string a = SubmitSequential("a", 3);
  std::string b = SubmitNToN("b", 3, a);
  std::string c = SubmitArray("c", 2, {{gate, ""}});  // waits on a plain dependency
  std::string after_b = SubmitAfter("after-b", {b});
  std::string on_child = SubmitAfter("on-a-2", {ChildOf(a, 2)});
  ASSERT_THAT(ScheduleAndLaunch(), UnorderedElementsAre(gate, ChildOf(a, 0)));
  Exit(ChildOf(a, 0), 0);
  // Now: a:1 RUNNABLE, b:0 RUNNABLE, gate RUNNING; the server stops before dispatching more.
  ASSERT_EQ(StatusOf(ChildOf(a, 1)), JobStatus::kRunnable);
  ASSERT_EQ(StatusOf(ChildOf(b, 0)), JobStatus::kRunnable);
  std::vector<std::string> saved = AllJobs({gate, a, b, c, after_b, on_child});
  EXPECT_EQ(saved.size(), 9u);

  std::unique_ptr<BatchState> restored = Restart(saved);
  std::vector<AttemptPlacement> lost = restored->FinishRestore();
  ASSERT_EQ(lost.size(), 1u);  // the gate's attempt
  EXPECT_EQ(restored->FindJob(gate)->status, JobStatus::kFailed) << "no attempts left";
  EXPECT_EQ(restored->FindJob(c)->status, JobStatus::kFailed);
  EXPECT_THAT(restored->FindJob(c)->status_reason, HasSubstr(gate));
  EXPECT_EQ(NonZero(restored->ArrayStatusSummary(*restored->FindJob(a))),
            (std::map<std::string, int>{{"SUCCEEDED", 1}, {"RUNNABLE", 1}, {"PENDING", 1}}));
  EXPECT_EQ(NonZero(restored->ArrayStatusSummary(*restored->FindJob(b))),
            (std::map<std::string, int>{{"RUNNABLE", 1}, {"PENDING", 2}}));

  AddSlotsTo(*restored, 8);
  EXPECT_THAT(LaunchOn(*restored, restored->Schedule()),
              UnorderedElementsAre(ChildOf(a, 1), ChildOf(b, 0)));
  restored->OnAttemptExited(ChildOf(a, 1), 0, 0);
  // SEQUENTIAL went on to a:2; N_TO_N made b:1.
  EXPECT_EQ(restored->FindJob(ChildOf(a, 2))->status, JobStatus::kRunnable);
  EXPECT_EQ(restored->FindJob(ChildOf(b, 1))->status, JobStatus::kRunnable);
  EXPECT_THAT(LaunchOn(*restored, restored->Schedule()),
              UnorderedElementsAre(ChildOf(a, 2), ChildOf(b, 1)));
  restored->OnAttemptExited(ChildOf(a, 2), 0, 0);
  EXPECT_EQ(restored->FindJob(a)->status, JobStatus::kSucceeded);
  EXPECT_EQ(restored->FindJob(on_child)->status, JobStatus::kRunnable);
  restored->OnAttemptExited(ChildOf(b, 0), 0, 0);
  restored->OnAttemptExited(ChildOf(b, 1), 0, 0);
  EXPECT_EQ(restored->FindJob(after_b)->status, JobStatus::kPending);
  EXPECT_THAT(LaunchOn(*restored, restored->Schedule()),
              UnorderedElementsAre(ChildOf(b, 2), on_child));
  restored->OnAttemptExited(ChildOf(b, 2), 0, 0);
  EXPECT_EQ(restored->FindJob(b)->status, JobStatus::kSucceeded);
  EXPECT_EQ(restored->FindJob(after_b)->status, JobStatus::kRunnable);
}

TEST_F(ArrayRestoreTest, ArrayWhoseLastChildFinishedBeforeTheCrashCompletesOnRestore) {
  AddHostWithSlots(8);
  std::string parent = SubmitArray("two", 2);
  std::string after = SubmitAfter("after", {parent});
  ScheduleAndLaunch();
  Exit(ChildOf(parent, 0), 0);
  Exit(ChildOf(parent, 1), 0);
  // The children were saved, the parent and its dependent were not.
  Job stale_parent = JobOf(parent);
  stale_parent.status = JobStatus::kPending;
  stale_parent.stopped_at.reset();
  Job stale_after = JobOf(after);
  stale_after.status = JobStatus::kPending;

  BatchState restored(clock_, BatchStateOptions{});
  restored.RestoreComputeEnvironment(*state_.FindComputeEnvironment("ce"));
  restored.RestoreJobQueue(*state_.FindJobQueue("q"));
  restored.RestoreJobDefinition(*state_.FindJobDefinition("def:1"));
  for (const Job& job :
       {stale_parent, JobOf(ChildOf(parent, 0)), JobOf(ChildOf(parent, 1)), stale_after}) {
    restored.RestoreJob(Must(JobFromRecord(ToRecord(job))));
  }
  EXPECT_TRUE(restored.FinishRestore().empty());
  EXPECT_EQ(restored.FindJob(parent)->status, JobStatus::kSucceeded);
  EXPECT_EQ(restored.FindJob(after)->status, JobStatus::kRunnable);
}

}  // namespace
}  // namespace gleaner
