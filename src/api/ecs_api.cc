#include "api/ecs_api.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "api/aws_errors.h"
#include "api/ecs_operations.h"
#include "capacity/ec2_cloud.h"
#include "model/arn.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace ecs {

std::string ClusterArnOf(const BatchState& state, const std::string& reference) {
  return LooksLikeArn(reference) ? reference : state.scope().EcsCluster(reference);
}

Result<const ComputeEnvironment*> RequiredCluster(const json& body, const BatchState& state) {
  std::string reference = kDefaultCluster;
  if (auto it = body.find("cluster"); it != body.end() && it->is_string()) {
    reference = it->get<std::string>();
  }
  const ComputeEnvironment* environment = state.FindComputeEnvironmentOfCluster(reference);
  if (environment == nullptr) return Status::NotFound("Cluster not found.");
  return environment;
}

std::vector<const Host*> ContainerInstancesOf(const BatchState& state,
                                              const ComputeEnvironment& environment) {
  std::vector<const Host*> hosts;
  for (const auto& [id, host] : state.hosts()) {
    if (host.Serves(environment.arn)) hosts.push_back(&host);
  }
  return hosts;
}

Result<json> Page(const json& body, const std::vector<std::string>& items, const char* key) {
  int limit = kMaxListResults;
  if (auto it = body.find("maxResults"); it != body.end() && it->is_number_integer()) {
    limit = it->get<int>();
    if (limit < 1 || limit > kMaxListResults) {
      return Status::InvalidArgument("maxResults must be between 1 and 100");
    }
  }
  size_t offset = 0;
  if (auto it = body.find("nextToken"); it != body.end() && it->is_string()) {
    std::string token = it->get<std::string>();
    if (token.empty() || token.size() > 12 ||
        token.find_first_not_of("0123456789") != std::string::npos) {
      return Status::InvalidArgument("nextToken is invalid");
    }
    offset = std::stoull(token);
  }
  json out = {{key, json::array()}};
  size_t end = std::min(items.size(), offset + static_cast<size_t>(limit));
  for (size_t i = std::min(offset, items.size()); i < end; ++i) out[key].push_back(items[i]);
  if (end < items.size()) out["nextToken"] = std::to_string(end);
  return out;
}

}  // namespace ecs

namespace {

using ecs::ClusterArnOf;
using ecs::ContainerInstancesOf;
using ecs::kDefaultCluster;
using ecs::RequiredCluster;
using nlohmann::json;

constexpr char kContentType[] = "application/x-amz-json-1.1";
constexpr const char* kContainerInstanceStatuses[] = {"ACTIVE", "DRAINING", "REGISTERING",
                                                      "DEREGISTERING", "REGISTRATION_FAILED"};
// The ports the ECS agent reserves on every container instance.
constexpr const char* kReservedPorts[] = {"22", "2375", "2376", "51678", "51679"};

std::string StatusOf(const Host& host) {
  if (host.booting) return "REGISTERING";
  // After an interruption notice the agent drains (ECS_ENABLE_SPOT_INSTANCE_DRAINING).
  return host.interruption_deadline || !host.accepting ? "DRAINING" : "ACTIVE";
}

// Tasks of this cluster on the host: RUNNING jobs run, STARTING ones are pending.
std::pair<int, int> TaskCounts(const BatchState& state, const Host& host,
                               const ComputeEnvironment& environment) {
  int running = 0;
  int pending = 0;
  for (const std::string& job_id : state.JobsOnHost(host.instance_id)) {
    const Job* job = state.FindJob(job_id);
    if (job == nullptr || !job->placement ||
        job->placement->compute_environment_arn != environment.arn) {
      continue;
    }
    if (job->status == JobStatus::kRunning) ++running;
    if (job->status == JobStatus::kStarting) ++pending;
  }
  return {running, pending};
}

json IntegerResource(const char* name, int64_t value) {
  return {{"name", name},
          {"type", "INTEGER"},
          {"doubleValue", 0.0},
          {"longValue", 0},
          {"integerValue", value}};
}

json StringSetResource(const char* name, std::vector<std::string> values) {
  return {{"name", name},   {"type", "STRINGSET"}, {"doubleValue", 0.0},
          {"longValue", 0}, {"integerValue", 0},   {"stringSetValue", std::move(values)}};
}

json ResourcesOf(const Resources& resources, int64_t gpu_offset) {
  json out = json::array(
      {IntegerResource("CPU", resources.millivcpus * 1024 / 1000),
       IntegerResource("MEMORY", resources.memory_mib),
       StringSetResource("PORTS", {std::begin(kReservedPorts), std::end(kReservedPorts)}),
       StringSetResource("PORTS_UDP", {})});
  if (resources.gpus > 0) {
    std::vector<std::string> ids;
    for (int64_t i = 0; i < resources.gpus; ++i)
      ids.push_back("GPU-" + std::to_string(gpu_offset + i));
    out.push_back(StringSetResource("GPU", std::move(ids)));
  }
  return out;
}

json ContainerInstanceJson(const BatchState& state, const Host& host,
                           const ComputeEnvironment& environment, const Ec2Cloud* cloud) {
  auto [running, pending] = TaskCounts(state, host, environment);
  Resources free = host.Free();
  json out = {{"containerInstanceArn", host.container_instance_arn},
              {"ec2InstanceId", host.instance_id},
              {"version", 1},
              {"registeredResources", ResourcesOf(host.total, 0)},
              {"remainingResources", ResourcesOf(free, host.used.gpus)},
              {"status", StatusOf(host)},
              {"agentConnected", !host.booting},
              {"runningTasksCount", running},
              {"pendingTasksCount", pending},
              {"attachments", json::array()},
              {"tags", json::array()}};
  json attributes = json::array({{{"name", "ecs.os-type"}, {"value", "linux"}}});
  const SimulatedInstance* instance = cloud ? cloud->FindInstance(host.instance_id) : nullptr;
  if (instance != nullptr) {
    attributes.push_back({{"name", "ecs.instance-type"}, {"value", instance->pool.instance_type}});
    attributes.push_back(
        {{"name", "ecs.availability-zone"}, {"value", instance->pool.availability_zone}});
    out["registeredAt"] = static_cast<double>(instance->ready_at) / 1000.0;
  }
  out["attributes"] = std::move(attributes);
  return out;
}

json ClusterJson(const std::string& arn, const char* status, int registered, int running,
                 int pending) {
  return {{"clusterArn", arn},
          {"clusterName", ArnResourceName(arn, "cluster")},
          {"status", status},
          {"registeredContainerInstancesCount", registered},
          {"runningTasksCount", running},
          {"pendingTasksCount", pending},
          {"activeServicesCount", 0},
          {"statistics", json::array()},
          {"tags", json::array()},
          {"settings", json::array({{{"name", "containerInsights"}, {"value", "disabled"}}})},
          {"capacityProviders", json::array()},
          {"defaultCapacityProviderStrategy", json::array()}};
}

// The ARN of the deleted compute environment's cluster `reference` names (by name or ARN), or "".
std::string InactiveClusterOf(const BatchState& state, const std::string& reference) {
  for (const std::string& arn : state.inactive_clusters()) {
    if (arn == reference || ArnResourceName(arn, "cluster") == reference) return arn;
  }
  return "";
}

Result<json> DescribeClusters(const json& body, const BatchState& state, const Ec2Cloud*) {
  std::vector<std::string> references;
  if (auto it = body.find("clusters"); it != body.end()) {
    if (!it->is_array()) return Status::InvalidArgument("clusters must be a list of strings");
    for (const json& reference : *it) {
      if (!reference.is_string()) return Status::InvalidArgument("clusters must be strings");
      references.push_back(reference.get<std::string>());
    }
  }
  if (references.empty()) references.push_back(kDefaultCluster);
  json clusters = json::array();
  json failures = json::array();
  for (const std::string& reference : references) {
    const ComputeEnvironment* environment = state.FindComputeEnvironmentOfCluster(reference);
    if (environment == nullptr) {
      std::string inactive = InactiveClusterOf(state, reference);
      if (!inactive.empty()) {
        clusters.push_back(ClusterJson(inactive, "INACTIVE", 0, 0, 0));
        continue;
      }
      failures.push_back({{"arn", ClusterArnOf(state, reference)}, {"reason", "MISSING"}});
      continue;
    }
    int registered = 0, running = 0, pending = 0;
    for (const Host* host : ContainerInstancesOf(state, *environment)) {
      if (!host->booting) ++registered;
      auto [host_running, host_pending] = TaskCounts(state, *host, *environment);
      running += host_running;
      pending += host_pending;
    }
    clusters.push_back(
        ClusterJson(environment->ecs_cluster_arn,
                    environment->status == ResourceStatus::kDeleted ? "INACTIVE" : "ACTIVE",
                    registered, running, pending));
  }
  return json{{"clusters", std::move(clusters)}, {"failures", std::move(failures)}};
}

Result<json> ListContainerInstances(const json& body, const BatchState& state, const Ec2Cloud*) {
  Result<const ComputeEnvironment*> environment = RequiredCluster(body, state);
  if (!environment.ok()) return environment.status();
  std::string status;
  if (auto it = body.find("status"); it != body.end() && it->is_string()) {
    status = it->get<std::string>();
    if (std::find(std::begin(kContainerInstanceStatuses), std::end(kContainerInstanceStatuses),
                  status) == std::end(kContainerInstanceStatuses)) {
      return Status::InvalidArgument("status " + status + " is not a container instance status");
    }
  }
  if (auto it = body.find("filter"); it != body.end() && it->is_string() && !it->empty()) {
    return Status::InvalidArgument(
        "filter (the cluster query language) is not supported by gleaner");
  }
  std::vector<std::string> arns;
  for (const Host* host : ContainerInstancesOf(state, **environment)) {
    if (status.empty() || StatusOf(*host) == status) arns.push_back(host->container_instance_arn);
  }
  std::sort(arns.begin(), arns.end());
  return ecs::Page(body, arns, "containerInstanceArns");
}

Result<json> DescribeContainerInstances(const json& body, const BatchState& state,
                                        const Ec2Cloud* cloud) {
  Result<const ComputeEnvironment*> environment = RequiredCluster(body, state);
  if (!environment.ok()) return environment.status();
  auto references = body.find("containerInstances");
  if (references == body.end() || !references->is_array() || references->empty()) {
    return Status::InvalidArgument("containerInstances can not be empty.");
  }
  std::vector<const Host*> hosts = ContainerInstancesOf(state, **environment);
  json instances = json::array();
  json failures = json::array();
  for (const json& reference : *references) {
    if (!reference.is_string()) return Status::InvalidArgument("containerInstances are strings");
    std::string text = reference.get<std::string>();
    // A full ARN, "<cluster>/<id>" or the id alone.
    auto found = std::find_if(hosts.begin(), hosts.end(), [&text](const Host* host) {
      const std::string& arn = host->container_instance_arn;
      std::string resource = ArnResourceName(arn, "container-instance");
      return arn == text || resource == text || resource.substr(resource.rfind('/') + 1) == text;
    });
    if (found == hosts.end()) {
      failures.push_back(
          {{"arn", LooksLikeArn(text) ? text : state.scope().EcsContainerInstance(text)},
           {"reason", "MISSING"}});
      continue;
    }
    instances.push_back(ContainerInstanceJson(state, **found, **environment, cloud));
  }
  return json{{"containerInstances", std::move(instances)}, {"failures", std::move(failures)}};
}

struct EcsOperationEntry {
  const char* name;
  ecs::Operation run;
};

constexpr EcsOperationEntry kOperations[] = {
    {"DescribeClusters", DescribeClusters},
    {"DescribeContainerInstances", DescribeContainerInstances},
    {"DescribeTasks", ecs::DescribeTasks},
    {"ListClusters", ecs::ListClusters},
    {"ListContainerInstances", ListContainerInstances},
    {"ListTasks", ecs::ListTasks},
};

}  // namespace

void EcsApi::Handle(const std::string& operation, const HttpRequest& request, Responder respond) {
  auto entry = std::find_if(std::begin(kOperations), std::end(kOperations),
                            [&operation](const auto& e) { return operation == e.name; });
  if (entry == std::end(kOperations)) {
    std::string names;
    for (const auto& e : kOperations) names += (names.empty() ? "" : ", ") + std::string(e.name);
    return respond(JsonProtocolError(
        "InvalidParameterException",
        "Unknown operation " + operation + ": gleaner's ECS subset answers " + names));
  }
  Result<json> parsed = request.body.empty() ? json::object() : ParseJsonText(request.body);
  json body = parsed.ok() ? std::move(*parsed) : json();
  if (!body.is_object()) {
    return respond(
        JsonProtocolError("SerializationException", "The request body is not a JSON object"));
  }
  const Ec2Cloud* cloud = cloud_;
  ecs::Operation run = entry->run;
  executor_.Execute(
      [run, body = std::move(body), cloud](BatchState& state) { return run(body, state, cloud); },
      [respond](Result<json> result) {
        if (result.ok()) {
          return respond(JsonResponse(DumpJson(*result), kContentType));
        }
        const Status& status = result.status();
        if (status.code() == StatusCode::kNotFound) {
          return respond(JsonProtocolError("ClusterNotFoundException", status.message()));
        }
        if (!status.IsClientError()) {
          return respond(JsonProtocolError("ServerException", status.message(), 500));
        }
        respond(JsonProtocolError("InvalidParameterException", status.message()));
      });
}

}  // namespace gleaner
