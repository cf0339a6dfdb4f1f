#pragma once

#include <string>

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "api/temporary_credentials.h"
#include "common/clock.h"
#include "model/job.h"

namespace gleaner {

// The ECS container credentials endpoint for jobs with a job role (jobRoleArn): what an SDK
// fetches at `http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (in the attempt's own
// network) or at `$AWS_CONTAINER_CREDENTIALS_FULL_URI` (on gleaner's endpoint otherwise). The path
// names the attempt with a tag only gleaner can make, so one job cannot fetch another's; the
// credentials are temporary (TemporaryCredentialIssuer) and answered while the attempt runs.
class TaskCredentialsRoute {
 public:
  static constexpr const char* kEndpointPrefix = "/gleaner/v1/credentials/";
  static constexpr const char* kTaskMetadataPrefix = "/v2/credentials/";

  TaskCredentialsRoute(const Clock& clock, const TemporaryCredentialIssuer& issuer)
      : clock_(clock), issuer_(issuer) {}

  // "<job id>/<attempt>/<tag>": what follows either prefix for this attempt.
  std::string PathFor(const std::string& job_id, int attempt) const;
  // Serves paths under `prefix` (one of the two above).
  HttpHandler Handler(BatchExecutor& executor, std::string prefix) const;
  // The variables that point a job's SDKs at its credentials, when its definition names a job
  // role: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI in its own network, else
  // AWS_CONTAINER_CREDENTIALS_FULL_URI on `endpoint`.
  void AddAttemptEnvironment(const Job& job, bool own_network, const std::string& endpoint,
                             std::vector<std::string>& environment) const;

 private:
  const Clock& clock_;
  const TemporaryCredentialIssuer& issuer_;
};

// The job role of a job's definition (containerProperties.jobRoleArn); empty when none.
std::string JobRoleArnOf(const Job& job);

}  // namespace gleaner
