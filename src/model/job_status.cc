#include "model/job_status.h"

#include <array>
#include <utility>

namespace gleaner {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 7> kNames = {{
    {JobStatus::kSubmitted, "SUBMITTED"},
    {JobStatus::kPending, "PENDING"},
    {JobStatus::kRunnable, "RUNNABLE"},
    {JobStatus::kStarting, "STARTING"},
    {JobStatus::kRunning, "RUNNING"},
    {JobStatus::kSucceeded, "SUCCEEDED"},
    {JobStatus::kFailed, "FAILED"},
}};

}  // namespace

std::string_view ToString(JobStatus status) {
  for (const auto& [candidate, name] : kNames) {
    if (candidate == status) return name;
  }
  return "UNKNOWN";  // unreachable while kNames lists every enumerator
}

std::optional<JobStatus> ParseJobStatus(std::string_view text) {
  for (const auto& [status, name] : kNames) {
    if (name == text) return status;
  }
  return std::nullopt;
}

bool IsValidTransition(JobStatus from, JobStatus to) {
  using enum JobStatus;
  switch (from) {
    case kSubmitted:
      return to == kPending || to == kRunnable || to == kFailed;
    case kPending:
      return to == kRunnable || to == kFailed;
    case kRunnable:
      return to == kStarting || to == kFailed;
    case kStarting:
      // Back to RUNNABLE when the host is lost before the container starts.
      return to == kRunning || to == kRunnable || to == kFailed;
    case kRunning:
      // Back to RUNNABLE when a failed attempt is retried.
      return to == kSucceeded || to == kFailed || to == kRunnable;
    case kSucceeded:
    case kFailed:
      return false;
  }
  return false;
}

}  // namespace gleaner
