#pragma once

#include <string>
#include <vector>

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "api/temporary_credentials.h"
#include "model/job.h"

namespace gleaner {

// ECS's task metadata endpoint, versions 4 and 3, for every local attempt: what a job reads at
// `$ECS_CONTAINER_METADATA_URI_V4` (its container), `.../task` (its task, with the container),
// `.../taskWithTags` (and the job's tags). At http://169.254.170.2 in the attempt's own network,
// else on gleaner's endpoint under kEndpointPrefix. As with the credentials, the path names the
// attempt with a tag only gleaner can make. Docker's statistics (`.../stats`) are not served yet.
class TaskMetadataRoute {
 public:
  static constexpr const char* kEndpointPrefix = "/gleaner/v1/task-metadata";
  static constexpr const char* kTaskMetadataAddress = "http://169.254.170.2";

  explicit TaskMetadataRoute(const TemporaryCredentialIssuer& issuer) : issuer_(issuer) {}

  // ECS_CONTAINER_METADATA_URI_V4 and ECS_CONTAINER_METADATA_URI, unless the job set them.
  void AddAttemptEnvironment(const Job& job, bool own_network, const std::string& endpoint,
                             std::vector<std::string>& environment) const;
  // Serves "<prefix>/v4/<job id>/<attempt>/<tag>[/task|/taskWithTags|/stats|/task/stats]" (and
  // v3); `prefix` is "" at 169.254.170.2 and kEndpointPrefix on gleaner's endpoint.
  HttpHandler Handler(BatchExecutor& executor, std::string prefix) const;

 private:
  const TemporaryCredentialIssuer& issuer_;
};

}  // namespace gleaner
