#pragma once

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

// GET /gleaner/v1/jobs: one page of jobs across queues and statuses, newest first -- the
// dashboard's jobs table and `gleaner jobs`. Unlike ListJobs it needs no queue and takes several
// statuses at once. Query parameters (each optional):
//   jobQueue=Q      a queue's name or ARN; repeat for several (default: every queue)
//   jobStatus=S     repeat or comma-separate (default: every status)
//   jobName=TEXT    names containing TEXT, ignoring case; with '*' a glob over the whole name
//   maxResults=N    1..1000 (default 100)
//   nextToken=T     the nextToken of the previous page
// Array children and multi-node nodes are left out (their parents carry arrayProperties'
// statusSummary, as in DescribeJobs). A page starts where the token points, through the queues'
// own indexes, so the millionth job costs what the first does; a name filter looks at no more
// than kMaxJobsExamined jobs per page and then answers with what it found and a nextToken
// ("searchedJobs" says how many it looked at).
// {"jobs": [JobSummary + "jobQueueName" + "attempts"], "nextToken"?, "searchedJobs"}
HttpHandler MakeJobsRoute(BatchExecutor& executor);

inline constexpr size_t kMaxJobsExamined = 50'000;

}  // namespace gleaner
