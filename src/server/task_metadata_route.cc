#include "server/task_metadata_route.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "api/sigv4.h"
#include "common/environment_variables.h"
#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

HttpResponse Refusal(int status, const std::string& message) {
  HttpResponse response = JsonResponse(json{{"code", "NotFound"}, {"message", message}}.dump());
  response.status = status;
  return response;
}

// What a request asks for, once its path is read.
struct MetadataRequest {
  std::string job_id;
  int attempt = 0;
  std::string view;  // "", "task", "taskWithTags", "stats", "task/stats"
};

// ECS's container name for a Batch job's one container.
constexpr const char* kContainerName = "default";

json Limits(const Job& job, bool task) {
  const Resources& reserved = job.placement->reserved;
  // The task's CPU in vCPUs, the container's in CPU units (1024 per vCPU), as ECS shows them.
  json cpu = task ? json(static_cast<double>(reserved.millivcpus) / 1000)
                  : json(reserved.millivcpus * 1024 / 1000);
  return json{{"CPU", cpu}, {"Memory", reserved.memory_mib}};
}

json ContainerMetadata(const BatchState& state, const Job& job, const std::string& cluster_arn) {
  const AttemptContainer& current = *job.container.current;
  std::string task_id = ArnResourceName(current.task_arn, "task");
  const JobDefinition* definition = state.FindJobDefinition(job.job_definition);
  std::string family = definition != nullptr ? definition->name : "";
  int revision = definition != nullptr ? definition->revision : 0;
  const Host* host = state.FindHost(job.placement->instance_id);
  std::string address = host != nullptr && !host->private_ipv4_address.empty()
                            ? host->private_ipv4_address
                            : "127.0.0.1";
  std::string started = FormatIso8601Seconds(job.placement->started_at);
  return json{
      {"DockerId", task_id},
      {"Name", kContainerName},
      {"DockerName", "ecs-" + family + "-" + std::to_string(revision) + "-" + kContainerName + "-" +
                         task_id.substr(0, 20)},
      {"Image", job.container.properties->image},
      {"Labels",
       {{"com.amazonaws.ecs.cluster", cluster_arn},
        {"com.amazonaws.ecs.container-name", kContainerName},
        {"com.amazonaws.ecs.task-arn", current.task_arn},
        {"com.amazonaws.ecs.task-definition-family", family},
        {"com.amazonaws.ecs.task-definition-version", std::to_string(revision)}}},
      {"DesiredStatus", "RUNNING"},
      {"KnownStatus", "RUNNING"},
      {"Limits", Limits(job, /*task=*/false)},
      {"CreatedAt", started},
      {"StartedAt", started},
      {"Type", "NORMAL"},
      {"LogDriver", "awslogs"},
      {"LogOptions",
       {{"awslogs-group", "/aws/batch/job"},
        {"awslogs-region", state.scope().region},
        {"awslogs-stream", current.log_stream_name}}},
      {"ContainerARN",
       state.scope().Resource("ecs", "container/" + ArnResourceName(cluster_arn, "cluster") + "/" +
                                         task_id + "/" + job.job_id)},
      {"Networks",
       json::array({{{"NetworkMode", "host"}, {"IPv4Addresses", json::array({address})}}})}};
}

json TaskMetadata(const BatchState& state, const Job& job, bool with_tags) {
  const ComputeEnvironment* environment =
      state.FindComputeEnvironment(job.placement->compute_environment_arn);
  std::string cluster_arn = environment != nullptr ? environment->ecs_cluster_arn : "";
  json container = ContainerMetadata(state, job, cluster_arn);
  bool fargate = environment != nullptr && environment->IsFargate();
  json task = {{"Cluster", cluster_arn},
               {"TaskARN", job.container.current->task_arn},
               {"Family", container["Labels"]["com.amazonaws.ecs.task-definition-family"]},
               {"Revision", container["Labels"]["com.amazonaws.ecs.task-definition-version"]},
               {"DesiredStatus", "RUNNING"},
               {"KnownStatus", "RUNNING"},
               {"Limits", Limits(job, /*task=*/true)},
               {"PullStartedAt", container["StartedAt"]},
               {"PullStoppedAt", container["StartedAt"]},
               {"LaunchType", fargate ? "FARGATE" : "EC2"},
               {"Containers", json::array({container})}};
  if (with_tags) {
    json tags = json::object();
    for (const auto& [key, value] : job.tags) tags[key] = value;
    task["TaskTags"] = tags;
    task["ContainerInstanceTags"] = json::object();
  }
  return task;
}

}  // namespace

void TaskMetadataRoute::AddAttemptEnvironment(const Job& job, bool own_network,
                                              const std::string& endpoint,
                                              std::vector<std::string>& environment) const {
  std::string subject = job.job_id + "/" + std::to_string(job.AttemptNumber());
  std::string path = subject + "/" + issuer_.Tag(subject);
  std::string base = own_network ? kTaskMetadataAddress : endpoint + kEndpointPrefix;
  AddVariableUnlessSet(environment, "ECS_CONTAINER_METADATA_URI_V4", base + "/v4/" + path);
  AddVariableUnlessSet(environment, "ECS_CONTAINER_METADATA_URI", base + "/v3/" + path);
}

HttpHandler TaskMetadataRoute::Handler(BatchExecutor& executor, std::string prefix) const {
  return [this, &executor, prefix = std::move(prefix)](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") return respond(Refusal(405, "task metadata is read with GET"));
    // <prefix>/v4/<job id>/<attempt>/<tag>[/<view>]
    std::string_view rest = std::string_view(request.path).substr(prefix.size());
    if (!rest.starts_with("/v4/") && !rest.starts_with("/v3/")) {
      return respond(Refusal(404, "no such task metadata"));
    }
    rest.remove_prefix(4);
    MetadataRequest asked;
    size_t first = rest.find('/');
    size_t second = first == std::string_view::npos ? first : rest.find('/', first + 1);
    if (second == std::string_view::npos) return respond(Refusal(404, "no such task metadata"));
    asked.job_id = std::string(rest.substr(0, first));
    std::string_view attempt_text = rest.substr(first + 1, second - first - 1);
    auto parsed = std::from_chars(attempt_text.data(), attempt_text.data() + attempt_text.size(),
                                  asked.attempt);
    std::string_view tag_and_view = rest.substr(second + 1);
    size_t slash = tag_and_view.find('/');
    std::string_view tag = tag_and_view.substr(0, slash);
    if (slash != std::string_view::npos) asked.view = std::string(tag_and_view.substr(slash + 1));
    std::string subject = asked.job_id + "/" + std::string(attempt_text);
    if (parsed.ec != std::errc() || !SecretsEqual(issuer_.Tag(subject), tag)) {
      return respond(Refusal(404, "no such task metadata"));
    }
    if (asked.view == "stats" || asked.view == "task/stats") {
      return respond(Refusal(501,
                             "not supported yet: gleaner does not serve Docker statistics "
                             "(" +
                                 asked.view + ")"));
    }
    if (!asked.view.empty() && asked.view != "task" && asked.view != "taskWithTags") {
      return respond(Refusal(404, "no such task metadata: " + asked.view));
    }
    executor.Execute(
        [asked](BatchState& state) -> Result<json> {
          const Job* job = state.FindJob(asked.job_id);
          if (job == nullptr || job->AttemptNumber() != asked.attempt || !job->placement ||
              job->container.current->task_arn.empty()) {
            return Status::NotFound("the attempt is not running");
          }
          if (asked.view.empty()) {
            const ComputeEnvironment* environment =
                state.FindComputeEnvironment(job->placement->compute_environment_arn);
            return ContainerMetadata(state, *job,
                                     environment != nullptr ? environment->ecs_cluster_arn : "");
          }
          return TaskMetadata(state, *job, asked.view == "taskWithTags");
        },
        [respond](Result<json> result) {
          if (!result.ok()) return respond(Refusal(404, result.status().message()));
          respond(JsonResponse(result->dump()));
        });
  };
}

}  // namespace gleaner
