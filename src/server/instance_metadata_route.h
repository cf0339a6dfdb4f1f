#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/batch_executor.h"
#include "api/http_server.h"
#include "api/temporary_credentials.h"
#include "common/clock.h"
#include "model/job.h"
#include "runtime/instance_metadata.h"

namespace gleaner {

class Ec2Cloud;

// Each simulated instance's metadata service, served on gleaner's endpoint at
// /imds/<instance-id>/…, and the environment that points an attempt's SDKs there. Both run on
// the scheduler thread (the handler through the executor), which owns the cloud and the
// instances' IMDSv2 tokens. `cloud` may be null: then no instance has metadata.
class InstanceMetadataRoute {
 public:
  InstanceMetadataRoute(const Clock& clock, Ec2Cloud* cloud) : clock_(clock), cloud_(cloud) {}

  // Instances of compute environments with an instanceRole serve credentials for it (iam/), from
  // this issuer. Set before serving.
  void SetRoleCredentials(const TemporaryCredentialIssuer* issuer) { issuer_ = issuer; }

  HttpHandler Handler(BatchExecutor& executor);
  // Whether the job's instance has a metadata service (scheduler thread).
  bool Serves(const Job& job) const {
    return job.placement && FactsOf(job.placement->instance_id).has_value();
  }
  // Adds the metadata variables for the instance the job is placed on (scheduler thread).
  void AddAttemptEnvironment(const Job& job, const std::string& endpoint,
                             std::vector<std::string>& environment);

 private:
  std::optional<InstanceMetadata> FactsOf(const std::string& instance_id) const;
  MetadataResponse Answer(const BatchState& state, const std::string& instance_id,
                          const MetadataRequest& request);
  // The instance profile of the instance's compute environment, with credentials.
  std::optional<InstanceMetadata::RoleCredentials> RoleOf(const BatchState& state,
                                                          const std::string& instance_id) const;

  const Clock& clock_;
  Ec2Cloud* cloud_;
  const TemporaryCredentialIssuer* issuer_ = nullptr;
  std::map<std::string, InstanceMetadataService> services_;  // by instance id
};

}  // namespace gleaner
