#include "model/job_status.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace gleaner {
namespace {

using enum JobStatus;

const std::vector<JobStatus> kAllStatuses = {kSubmitted, kPending,   kRunnable, kStarting,
                                             kRunning,   kSucceeded, kFailed};

TEST(JobStatus, NamesAreAwsUpperCase) {
  EXPECT_EQ(ToString(kSubmitted), "SUBMITTED");
  EXPECT_EQ(ToString(kPending), "PENDING");
  EXPECT_EQ(ToString(kRunnable), "RUNNABLE");
  EXPECT_EQ(ToString(kStarting), "STARTING");
  EXPECT_EQ(ToString(kRunning), "RUNNING");
  EXPECT_EQ(ToString(kSucceeded), "SUCCEEDED");
  EXPECT_EQ(ToString(kFailed), "FAILED");
}

TEST(JobStatus, ParseInvertsToString) {
  for (JobStatus status : kAllStatuses) {
    EXPECT_EQ(ParseJobStatus(ToString(status)), status) << ToString(status);
  }
}

TEST(JobStatus, ParseRefusesOtherSpellings) {
  EXPECT_EQ(ParseJobStatus("runnable"), std::nullopt);  // AWS enums are case-sensitive
  EXPECT_EQ(ParseJobStatus("CANCELLED"), std::nullopt);
  EXPECT_EQ(ParseJobStatus(""), std::nullopt);
  EXPECT_EQ(ParseJobStatus("RUNNING "), std::nullopt);
}

TEST(JobStatus, OnlySucceededAndFailedAreTerminal) {
  for (JobStatus status : kAllStatuses) {
    EXPECT_EQ(IsTerminal(status), status == kSucceeded || status == kFailed) << ToString(status);
  }
}

TEST(IsValidTransition, AllowsExactlyTheDocumentedMoves) {
  const std::set<std::pair<JobStatus, JobStatus>> allowed = {
      {kSubmitted, kPending}, {kSubmitted, kRunnable}, {kSubmitted, kFailed},
      {kPending, kRunnable},  {kPending, kFailed},     {kRunnable, kStarting},
      {kRunnable, kFailed},   {kStarting, kRunning},   {kStarting, kRunnable},
      {kStarting, kFailed},   {kRunning, kSucceeded},  {kRunning, kFailed},
      {kRunning, kRunnable},
  };
  for (JobStatus from : kAllStatuses) {
    for (JobStatus to : kAllStatuses) {
      EXPECT_EQ(IsValidTransition(from, to), allowed.contains({from, to}))
          << ToString(from) << " -> " << ToString(to);
    }
  }
}

TEST(IsValidTransition, StayingPutIsNotATransition) {
  for (JobStatus status : kAllStatuses) EXPECT_FALSE(IsValidTransition(status, status));
}

}  // namespace
}  // namespace gleaner
