#pragma once

#include <string>
#include <vector>

namespace gleaner {

struct DescribeCommandOptions {
  std::string endpoint;
  std::string job_id;
  std::string output = "text";  // text | json
};

// `gleaner describe JOB`: the job's status and why (for a job that waits, the scheduler's own
// reason), its times, dependencies, array counts and every attempt on a timeline (instance,
// start, stop, duration, exit code, reason). Returns the exit code.
int RunDescribeCommand(const DescribeCommandOptions& options);

struct WatchCommandOptions {
  std::string endpoint;
  std::vector<std::string> job_ids;
  std::vector<std::string> queues;  // instead of job_ids: whole queues (names or ARNs)
  int interval_millis = 1000;
};

// `gleaner watch JOB...`: a line for every status a job moves to (arrays with a progress bar of
// their children), until every job has ended. Exits 0 when all SUCCEEDED, else with the exit
// code of a single job's last attempt (1 when it has none), else 1. With queues: a line when a
// queue's counts change, until none of its jobs is unfinished; 0 when none failed meanwhile.
int RunWatchCommand(const WatchCommandOptions& options);

}  // namespace gleaner
