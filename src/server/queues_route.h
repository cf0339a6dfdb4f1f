#pragma once

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

// GET /gleaner/v1/queues: every job queue with its job counts by status, what its STARTING and
// RUNNING jobs reserve and the RUNNABLE job waiting longest -- `gleaner queues`. Read from the
// queues' own indexes on the scheduler thread, so a million jobs cost no more than ten.
// {"queues": [{"jobQueueName", "jobQueueArn", "state", "status", "priority",
//   "jobCounts": {"SUBMITTED": n, ...}, "reservedVcpus", "reservedMemoryMib",
//   "oldestRunnable": {"jobId", "jobName", "createdAt", "runnableSince"}?}]}
HttpHandler MakeQueuesRoute(BatchExecutor& executor);

}  // namespace gleaner
