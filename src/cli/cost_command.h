#pragma once

#include <string>

namespace gleaner {

struct CostCommandOptions {
  std::string endpoint;
  // queue | compute-environment | job-definition | lifecycle | job | tag:KEY
  std::string by = "queue";
  std::string since;             // a time or an age (24h); empty: everything kept
  std::string job_id;            // one job's attempts instead of groups
  std::string output = "table";  // table | json
};

// `gleaner cost`: what jobs cost per group -- cost, on-demand equivalent, savings, lost to
// interruptions, idle -- or one job's attempts (GET /gleaner/v1/cost). Returns the exit code.
int RunCostCommand(const CostCommandOptions& options);

}  // namespace gleaner
