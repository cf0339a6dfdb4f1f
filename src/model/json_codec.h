#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "model/compute_environment.h"
#include "model/job.h"
#include "model/job_definition.h"
#include "model/job_queue.h"
#include "model/scheduling_policy.h"

namespace gleaner {

// Model objects <-> JSON in AWS Batch's wire shapes (lowerCamelCase members, epoch-millisecond
// timestamps, absent optionals omitted). The API answers with these; the store persists the
// "record" form, which is the same shape plus a "gleaner" member for bookkeeping AWS does not show.
// The From* functions trust their input's types (it was validated on the way in) but never crash:
// a member of the wrong JSON type is an error Status.

nlohmann::json ToJson(const ComputeEnvironment& environment);  // ComputeEnvironmentDetail
nlohmann::json ToJson(const JobQueue& queue);                  // JobQueueDetail
nlohmann::json ToJson(const SchedulingPolicy& policy);         // SchedulingPolicyDetail
nlohmann::json ToJson(const JobDefinition& definition);        // JobDefinition
nlohmann::json ToJson(const Job& job);                         // JobDetail
nlohmann::json ToJobSummary(const Job& job);                   // JobSummary (ListJobs)
nlohmann::json ToJson(const ContainerProperties& container);
nlohmann::json ToJson(const NodeProperties& properties);
nlohmann::json ToJson(const RetryStrategy& strategy);
nlohmann::json ToJson(const JobTimeout& timeout);
nlohmann::json ToJson(const ComputeResources& resources);
nlohmann::json ToJson(const FairsharePolicy& policy);

// Sub-documents as they appear in requests and records.
Result<ContainerProperties> ContainerPropertiesFromJson(const nlohmann::json& json);
Result<NodeProperties> NodePropertiesFromJson(const nlohmann::json& json);
Result<RetryStrategy> RetryStrategyFromJson(const nlohmann::json& json);
Result<JobTimeout> JobTimeoutFromJson(const nlohmann::json& json);
Result<ComputeResources> ComputeResourcesFromJson(const nlohmann::json& json);
Result<FairsharePolicy> FairsharePolicyFromJson(const nlohmann::json& json);

// Store records: ToJson plus {"gleaner": {...}} (createdAt for resources; required resources and
// the current placement for jobs). FromRecord reverses ToRecord exactly.
nlohmann::json ToRecord(const ComputeEnvironment& environment);
nlohmann::json ToRecord(const JobQueue& queue);
nlohmann::json ToRecord(const SchedulingPolicy& policy);
nlohmann::json ToRecord(const JobDefinition& definition);
nlohmann::json ToRecord(const Job& job);
Result<ComputeEnvironment> ComputeEnvironmentFromRecord(const nlohmann::json& record);
Result<JobQueue> JobQueueFromRecord(const nlohmann::json& record);
Result<SchedulingPolicy> SchedulingPolicyFromRecord(const nlohmann::json& record);
Result<JobDefinition> JobDefinitionFromRecord(const nlohmann::json& record);
Result<Job> JobFromRecord(const nlohmann::json& record);
// Same, moving strings out of `record` instead of copying them: for a caller that parsed the
// record only to decode it (restoring from the store).
Result<Job> JobFromRecord(nlohmann::json&& record);

}  // namespace gleaner
