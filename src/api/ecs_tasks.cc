// ECS's ListClusters, ListTasks and DescribeTasks: the compute environments' clusters, and the
// attempts placed on their container instances as the ECS tasks AWS Batch runs them as.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "api/ecs_operations.h"
#include "capacity/ec2_cloud.h"
#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner::ecs {
namespace {

constexpr const char* kDesiredStatuses[] = {"RUNNING", "PENDING", "STOPPED"};
constexpr const char* kLaunchTypes[] = {"EC2", "FARGATE", "EXTERNAL"};

struct Task {
  const Job* job;
  const Host* host;
};

bool IsFargate(const ComputeEnvironment& environment) {
  return environment.compute_resources && (environment.compute_resources->type == "FARGATE" ||
                                           environment.compute_resources->type == "FARGATE_SPOT");
}

// The attempts placed on the cluster's container instances that have a task (STARTING or
// RUNNING), by task ARN.
std::map<std::string, Task> TasksOf(const BatchState& state,
                                    const ComputeEnvironment& environment) {
  std::map<std::string, Task> tasks;
  for (const Host* host : ContainerInstancesOf(state, environment)) {
    for (const std::string& job_id : state.JobsOnHost(host->instance_id)) {
      const Job* job = state.FindJob(job_id);
      if (job == nullptr || !job->placement ||
          job->placement->compute_environment_arn != environment.arn ||
          (job->status != JobStatus::kStarting && job->status != JobStatus::kRunning) ||
          job->container.current->task_arn.empty()) {
        continue;
      }
      tasks[job->container.current->task_arn] = {job, host};
    }
  }
  return tasks;
}

std::string DesiredStatusOf(const Job& job) {
  return job.placement->termination_requested ? "STOPPED" : "RUNNING";
}

// A string member the request may leave out; kInvalidArgument when it is not a string.
Result<std::string> OptionalString(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(std::string(name) + " must be a string");
  return it->get<std::string>();
}

bool NamesHost(const Host& host, const std::string& reference) {
  const std::string& arn = host.container_instance_arn;
  std::string resource = ArnResourceName(arn, "container-instance");
  return arn == reference || resource == reference ||
         resource.substr(resource.rfind('/') + 1) == reference;
}

json TaskJson(const Task& task, const ComputeEnvironment& environment, const Ec2Cloud* cloud) {
  const Job& job = *task.job;
  const AttemptPlacement& placement = *job.placement;
  const std::string& task_arn = job.container.current->task_arn;
  bool running = job.status == JobStatus::kRunning;
  std::string last_status = running ? "RUNNING" : "PENDING";
  std::string cpu = std::to_string(placement.reserved.millivcpus * 1024 / 1000);
  std::string memory = std::to_string(placement.reserved.memory_mib);
  json container = {{"taskArn", task_arn},
                    {"name", "default"},
                    {"image", job.container.properties->image},
                    {"lastStatus", last_status},
                    {"networkInterfaces", json::array()},
                    {"cpu", cpu},
                    {"memory", memory}};
  if (!placement.gpu_ids.empty()) {
    json gpus = json::array();
    for (int id : placement.gpu_ids) gpus.push_back(std::to_string(id));
    container["gpuIds"] = std::move(gpus);
  }
  json out = {{"taskArn", task_arn},
              {"clusterArn", environment.ecs_cluster_arn},
              {"containerInstanceArn", task.host->container_instance_arn},
              {"lastStatus", last_status},
              {"desiredStatus", DesiredStatusOf(job)},
              {"cpu", cpu},
              {"memory", memory},
              {"containers", json::array({std::move(container)})},
              {"launchType", IsFargate(environment) ? "FARGATE" : "EC2"},
              {"version", running ? 2 : 1},
              {"attachments", json::array()},
              {"tags", json::array()},
              {"overrides",
               {{"containerOverrides", json::array({{{"name", "default"}}})},
                {"inferenceAcceleratorOverrides", json::array()}}}};
  if (running && placement.started_at > 0) {
    out["startedAt"] = static_cast<double>(placement.started_at) / 1000.0;
  }
  if (placement.termination_requested) out["stoppedReason"] = placement.termination_reason;
  const SimulatedInstance* instance = cloud ? cloud->FindInstance(task.host->instance_id) : nullptr;
  if (instance != nullptr) out["availabilityZone"] = instance->pool.availability_zone;
  return out;
}

}  // namespace

Result<json> ListClusters(const json& body, const BatchState& state, const Ec2Cloud*) {
  std::vector<std::string> arns;
  for (const auto& [name, environment] : state.compute_environments()) {
    arns.push_back(environment.ecs_cluster_arn);
  }
  std::sort(arns.begin(), arns.end());
  return Page(body, arns, "clusterArns");
}

Result<json> ListTasks(const json& body, const BatchState& state, const Ec2Cloud*) {
  Result<const ComputeEnvironment*> environment = RequiredCluster(body, state);
  if (!environment.ok()) return environment.status();
  for (const char* unsupported : {"family", "startedBy", "serviceName"}) {
    Result<std::string> value = OptionalString(body, unsupported);
    if (!value.ok()) return value.status();
    if (!value->empty()) {
      return Status::InvalidArgument(std::string(unsupported) +
                                     ": filtering AWS Batch's tasks by it is not supported yet");
    }
  }
  Result<std::string> desired = OptionalString(body, "desiredStatus");
  Result<std::string> launch_type = OptionalString(body, "launchType");
  Result<std::string> instance = OptionalString(body, "containerInstance");
  for (const Result<std::string>* value : {&desired, &launch_type, &instance}) {
    if (!value->ok()) return value->status();
  }
  if (desired->empty()) *desired = "RUNNING";
  if (std::find(std::begin(kDesiredStatuses), std::end(kDesiredStatuses), *desired) ==
      std::end(kDesiredStatuses)) {
    return Status::InvalidArgument("desiredStatus must be one of RUNNING, PENDING, STOPPED");
  }
  if (!launch_type->empty() && std::find(std::begin(kLaunchTypes), std::end(kLaunchTypes),
                                         *launch_type) == std::end(kLaunchTypes)) {
    return Status::InvalidArgument("launchType must be one of EC2, FARGATE, EXTERNAL");
  }
  if (!instance->empty()) {
    std::vector<const Host*> hosts = ContainerInstancesOf(state, **environment);
    if (std::none_of(hosts.begin(), hosts.end(),
                     [&](const Host* host) { return NamesHost(*host, *instance); })) {
      return Status::InvalidArgument("containerInstance " + *instance +
                                     " is not a container instance of this cluster");
    }
  }
  std::string own_launch_type = IsFargate(**environment) ? "FARGATE" : "EC2";
  std::vector<std::string> arns;
  // ECS never sets a task's desired status to PENDING: that filter lists nothing. Tasks that
  // stopped are not kept (ECS lists recently stopped ones only "might"): STOPPED lists the
  // attempts being stopped.
  for (const auto& [arn, task] : TasksOf(state, **environment)) {
    if (DesiredStatusOf(*task.job) != *desired) continue;
    if (!launch_type->empty() && *launch_type != own_launch_type) continue;
    if (!instance->empty() && !NamesHost(*task.host, *instance)) continue;
    arns.push_back(arn);
  }
  return Page(body, arns, "taskArns");
}

Result<json> DescribeTasks(const json& body, const BatchState& state, const Ec2Cloud* cloud) {
  Result<const ComputeEnvironment*> environment = RequiredCluster(body, state);
  if (!environment.ok()) return environment.status();
  auto references = body.find("tasks");
  if (references == body.end() || !references->is_array() || references->empty()) {
    return Status::InvalidArgument("Tasks cannot be empty.");
  }
  if (references->size() > 100) return Status::InvalidArgument("tasks: at most 100 at a time");
  std::map<std::string, Task> tasks = TasksOf(state, **environment);
  json described = json::array();
  json failures = json::array();
  for (const json& reference : *references) {
    if (!reference.is_string()) return Status::InvalidArgument("tasks are strings");
    std::string text = reference.get<std::string>();
    // A full ARN, or the task's id (the ARN's last part).
    auto found = tasks.find(text);
    if (found == tasks.end()) {
      found = std::find_if(tasks.begin(), tasks.end(), [&text](const auto& entry) {
        return entry.first.size() > text.size() && entry.first.ends_with("/" + text);
      });
    }
    if (found == tasks.end()) {
      std::string arn = LooksLikeArn(text) ? text : state.scope().EcsTask(text);
      failures.push_back({{"arn", arn}, {"reason", "MISSING"}});
      continue;
    }
    described.push_back(TaskJson(found->second, **environment, cloud));
  }
  return json{{"tasks", std::move(described)}, {"failures", std::move(failures)}};
}

}  // namespace gleaner::ecs
