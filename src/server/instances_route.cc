#include "server/instances_route.h"

#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "capacity/ec2_cloud.h"
#include "model/arn.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

json Describe(const SimulatedInstance& instance, size_t jobs) {
  json described = {
      {"instanceId", instance.instance_id},
      {"computeEnvironment",
       ArnResourceName(instance.compute_environment_arn, "compute-environment")},
      {"instanceType", instance.pool.instance_type},
      {"availabilityZone", instance.pool.availability_zone},
      {"lifecycle", instance.purchase == PurchaseOption::kSpot ? "spot" : "on-demand"},
      {"state", InstanceStateName(instance.state)},
      {"hourlyPrice", static_cast<double>(instance.hourly_price) / 1e6},
      {"launchedAt", instance.launched_at},
      {"jobs", jobs}};
  if (instance.rebalance_at) described["rebalanceAt"] = *instance.rebalance_at;
  if (instance.notice_at) described["interruptionNoticeAt"] = *instance.notice_at;
  if (instance.deadline_at) described["terminatesAt"] = *instance.deadline_at;
  return described;
}

}  // namespace

HttpHandler MakeInstancesRoute(BatchExecutor& executor, const Ec2Cloud* cloud) {
  return [&executor, cloud](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") {
      return respond(BatchErrorResponse(Status::InvalidArgument("instances are read with GET")));
    }
    executor.Execute(
        [cloud](BatchState& state) -> Result<json> {
          json instances = json::array();
          if (cloud == nullptr) return json{{"instances", instances}};
          for (const auto& [id, instance] : cloud->instances()) {
            if (instance.state == InstanceState::kTerminated) continue;
            instances.push_back(Describe(instance, state.JobsOnHost(id).size()));
          }
          return json{{"instances", std::move(instances)}};
        },
        [respond](Result<json> listed) {
          if (!listed.ok()) return respond(BatchErrorResponse(listed.status()));
          respond(JsonResponse(DumpJson(*listed)));
        });
  };
}

}  // namespace gleaner
