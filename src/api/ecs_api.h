#pragma once

#include <string>

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

class Ec2Cloud;

// The ECS subset that shows AWS Batch's clusters (json-1.1,
// X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>): ListClusters, DescribeClusters,
// ListContainerInstances, DescribeContainerInstances, ListTasks and DescribeTasks. The clusters
// are the compute environments' (`<ce>_Batch_<uuid>`), their container instances the hosts
// serving them, their tasks the attempts placed there (ecs_operations.h). Runs on
// the scheduler thread through the executor; `cloud` (null with `--capacity local`) adds what
// only the simulated cloud knows: registration times, instance types and zones.
class EcsApi {
 public:
  EcsApi(BatchExecutor& executor, const Ec2Cloud* cloud) : executor_(executor), cloud_(cloud) {}

  // `operation` is the part of X-Amz-Target after "AmazonEC2ContainerServiceV20141113.".
  void Handle(const std::string& operation, const HttpRequest& request, Responder respond);

 private:
  BatchExecutor& executor_;
  const Ec2Cloud* cloud_;
};

}  // namespace gleaner
