#pragma once

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

class Ec2Cloud;

// GET /gleaner/v1/instances: the simulated cloud's instances not yet terminated, read on the
// scheduler thread -- `gleaner instances`. {"instances": [{"instanceId", "computeEnvironment",
// "instanceType", "availabilityZone", "lifecycle" (spot | on-demand), "state", "hourlyPrice"
// (USD), "launchedAt", "jobs" (attempts placed on it), "rebalanceAt"?, "interruptionNoticeAt"?,
// "terminatesAt"?}]}. Without a simulated cloud (--capacity local): an empty list.
HttpHandler MakeInstancesRoute(BatchExecutor& executor, const Ec2Cloud* cloud);

}  // namespace gleaner
