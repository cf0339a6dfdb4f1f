#pragma once

#include <optional>
#include <string_view>

namespace gleaner {

enum class JobStatus {
  kSubmitted,
  kPending,
  kRunnable,
  kStarting,
  kRunning,
  kSucceeded,
  kFailed,
};

constexpr int kJobStatusCount = 7;

std::string_view ToString(JobStatus status);
std::optional<JobStatus> ParseJobStatus(std::string_view text);  // "RUNNABLE" -> kRunnable

inline bool IsTerminal(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed;
}

// The moves AWS Batch allows: SUBMITTED -> PENDING|RUNNABLE|FAILED, PENDING -> RUNNABLE|FAILED,
// RUNNABLE -> STARTING|FAILED, STARTING -> RUNNING|RUNNABLE|FAILED, RUNNING -> SUCCEEDED|FAILED|
// RUNNABLE (retry). Terminal states are final.
bool IsValidTransition(JobStatus from, JobStatus to);

}  // namespace gleaner
