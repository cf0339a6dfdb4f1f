#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace gleaner {

struct JobsCommandOptions {
  std::string endpoint;
  std::vector<std::string> queues;    // names or ARNs; empty: every queue
  std::vector<std::string> statuses;  // empty: every status
  std::string name;                   // a glob ('*') on job names; empty: any
  std::string array_job_id;           // the children of this array job
  size_t max_items = 1000;            // the newest this many jobs (not for array children)
  std::string output = "table";       // table | json
};

// `gleaner jobs`: the newest jobs (max_items) of some queues (all), in some statuses (all), oldest
// first, as a table (id, name,
// queue, status, attempt, age or duration, reason; array parents with their children's counts)
// or as JSON (the DescribeJobs objects). Returns the exit code.
int RunJobsCommand(const JobsCommandOptions& options);

struct QueuesCommandOptions {
  std::string endpoint;
  std::string output = "table";  // table | json
};

// `gleaner queues`: per queue, its jobs by status, the vCPUs its running jobs hold and the job
// waiting longest. Returns the exit code.
int RunQueuesCommand(const QueuesCommandOptions& options);

// `gleaner instances`: the simulated cloud's instances (compute environment, type, zone,
// lifecycle, price, age, jobs on it, interruption state). Same options as `gleaner queues`.
int RunInstancesCommand(const QueuesCommandOptions& options);

}  // namespace gleaner
