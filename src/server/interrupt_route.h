#pragma once

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

class Ec2Cloud;

// POST /gleaner/v1/interrupt: interruption notices on request (what `gleaner interrupt` sends).
// Body: exactly one of "jobId", "instanceId", "computeEnvironment" (with "count" or "percent"),
// and optionally "noticeSeconds" and "rebalanceLeadSeconds". Answers the instances interrupted,
// with their notice and termination times. `cloud` may be null (local capacity only): then every
// request is a ClientException saying so.
HttpHandler MakeInterruptRoute(BatchExecutor& executor, Ec2Cloud* cloud);

}  // namespace gleaner
