#pragma once

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "common/clock.h"

namespace gleaner {

class CapacityPrices;

// GET /gleaner/v1/cost: what jobs cost, read on the scheduler thread -- `gleaner cost`.
//   ?by=queue (default) | compute-environment | job-definition | lifecycle | job | tag:KEY
//   &since=<ISO 8601 time, epoch seconds, or an age such as 90m, 24h, 7d>: attempts that ended
//   since then (and those still running), instances' cost since then.
// -> {"by", "since"?, "rows": [row], "total": row}, a row being {"group", "jobs", "attempts",
// "interruptedAttempts", "usd", "onDemandUsd", "savingsPercent", "lostUsd", "idleUsd"} (see
// CostRow). Jobs are grouped under the job they belong to (an array's children and a multi-node
// job's nodes under it).
//   ?job=ID: that job's attempts (and its children's or nodes'), each {"jobId", "attempt",
// "instanceId", "instanceType", "lifecycle", "outcome" (or "running"), "from", "to", "splitRatio",
// "usd", "onDemandUsd"} and their total -> {"jobId", "attempts": [...], "total": row}; a job that
// does not exist is ClientException.
HttpHandler MakeCostRoute(BatchExecutor& executor, const Clock& clock,
                          const CapacityPrices& prices);

}  // namespace gleaner
