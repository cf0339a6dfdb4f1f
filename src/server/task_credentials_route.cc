#include "server/task_credentials_route.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "api/sigv4.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

HttpResponse Refusal(int status, const std::string& message) {
  HttpResponse response =
      JsonResponse(json{{"code", "InvalidRequest"}, {"message", message}}.dump());
  response.status = status;
  return response;
}

}  // namespace

std::string JobRoleArnOf(const Job& job) {
  const json& passthrough = job.container.properties->passthrough;
  auto role = passthrough.find("jobRoleArn");
  return role != passthrough.end() && role->is_string() ? role->get<std::string>() : "";
}

std::string TaskCredentialsRoute::PathFor(const std::string& job_id, int attempt) const {
  std::string subject = job_id + "/" + std::to_string(attempt);
  return subject + "/" + issuer_.Tag(subject);
}

void TaskCredentialsRoute::AddAttemptEnvironment(const Job& job, bool own_network,
                                                 const std::string& endpoint,
                                                 std::vector<std::string>& environment) const {
  if (JobRoleArnOf(job).empty()) return;
  std::string path = PathFor(job.job_id, job.AttemptNumber());
  if (own_network) {
    environment.push_back(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=" + std::string(kTaskMetadataPrefix) + path);
  } else {
    environment.push_back("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + endpoint + kEndpointPrefix +
                          path);
  }
}

HttpHandler TaskCredentialsRoute::Handler(BatchExecutor& executor, std::string prefix) const {
  return [this, &executor, prefix = std::move(prefix)](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") return respond(Refusal(405, "credentials are read with GET"));
    std::string_view rest = std::string_view(request.path).substr(prefix.size());
    size_t first = rest.find('/');
    size_t second = first == std::string_view::npos ? first : rest.find('/', first + 1);
    if (second == std::string_view::npos) return respond(Refusal(404, "no such credentials"));
    std::string job_id(rest.substr(0, first));
    std::string_view attempt_text = rest.substr(first + 1, second - first - 1);
    int attempt = 0;
    auto parsed =
        std::from_chars(attempt_text.data(), attempt_text.data() + attempt_text.size(), attempt);
    std::string subject = job_id + "/" + std::string(attempt_text);
    if (parsed.ec != std::errc() || !SecretsEqual(issuer_.Tag(subject), rest.substr(second + 1))) {
      return respond(Refusal(404, "no such credentials"));
    }
    executor.Execute(
        [this, job_id, attempt](BatchState& state) -> Result<json> {
          const Job* job = state.FindJob(job_id);
          if (job == nullptr || job->AttemptNumber() != attempt || !job->placement ||
              JobRoleArnOf(*job).empty()) {
            return Status::NotFound("the attempt is not running, or has no job role");
          }
          EpochMillis now = clock_.NowMillis();
          TemporaryCredentials issued =
              issuer_.Issue("task/" + job_id + "/" + std::to_string(attempt), now);
          return json{{"AccessKeyId", issued.access_key_id},
                      {"SecretAccessKey", issued.secret_access_key},
                      {"Token", issued.session_token},
                      {"Expiration", FormatIso8601Seconds(issued.expiration)},
                      {"RoleArn", JobRoleArnOf(*job)}};
        },
        [respond](Result<json> result) {
          if (!result.ok()) return respond(Refusal(404, result.status().message()));
          respond(JsonResponse(result->dump()));
        });
  };
}

}  // namespace gleaner
