// SubmitJob.

#include <limits>

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/job_parts.h"
#include "api/requests/json_fields.h"

namespace gleaner {
namespace {

using fields::ObjectFields;
using fields::VcpuPrecision;
using nlohmann::json;

constexpr int kMinArraySize = 2;
// AWS allows 10,000 children; gleaner, as an extension, a million (an array costs one record and
// counters until its children can run, so its size is not what limits it).
constexpr int kMaxArraySize = 1'000'000;
// AWS allows 20 dependencies per job; gleaner allows more (a fan-in of a thousand jobs is common
// in workflows), the scheduler handles them as easily.
constexpr size_t kMaxDependencies = 1000;
constexpr int kMaxSchedulingPriority = 9999;

// The members of containerOverrides. The platform is the definition's, unknown here: fractional
// VCPU passes, and BatchState checks the merged container.
Status ReadOverrideFields(const ObjectFields& overrides, ContainerOverrides* out) {
  GLEANER_RETURN_IF_ERROR(fields::ReadCommand(overrides, &out->command));
  GLEANER_RETURN_IF_ERROR(fields::ReadEnvironment(overrides, &out->environment));
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceRequirements(overrides, VcpuPrecision::kFractional,
                                                           &out->resource_requirements));
  GLEANER_RETURN_IF_ERROR(fields::ReadLegacyResources(overrides, &out->vcpus, &out->memory));
  return overrides.Optional("instanceType", &out->instance_type);
}

Status ReadContainerOverrides(const ObjectFields& parent, std::optional<ContainerOverrides>* out) {
  std::optional<ObjectFields> overrides;
  GLEANER_RETURN_IF_ERROR(parent.OptionalObject("containerOverrides", &overrides));
  if (!overrides) return Status::Ok();
  ContainerOverrides parsed;
  GLEANER_RETURN_IF_ERROR(ReadOverrideFields(*overrides, &parsed));
  *out = std::move(parsed);
  return Status::Ok();
}

// nodeOverrides: numNodes and containerOverrides per targetNodes. Whether they fit the job
// definition's nodeProperties (a multinode definition, targetNodes within numNodes) is
// BatchState's to check: it knows the definition.
Status ReadNodePropertyOverride(const json& value, const std::string& path,
                                NodePropertyOverride* out) {
  Result<ObjectFields> property = ObjectFields::Open(value, path);
  if (!property.ok()) return property.status();
  GLEANER_RETURN_IF_ERROR(property->Required("targetNodes", &out->target_nodes));
  return ReadContainerOverrides(*property, &out->container_overrides);
}

Status ReadNodeOverrides(const ObjectFields& body, std::optional<NodeOverrides>* out) {
  std::optional<ObjectFields> overrides;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("nodeOverrides", &overrides));
  if (!overrides) return Status::Ok();
  NodeOverrides parsed;
  GLEANER_RETURN_IF_ERROR(overrides->Optional("numNodes", &parsed.num_nodes));
  if (parsed.num_nodes) {
    GLEANER_RETURN_IF_ERROR(fields::CheckRange(overrides->PathOf("numNodes"), *parsed.num_nodes, 1,
                                               std::numeric_limits<int>::max()));
  }
  const json* properties = nullptr;
  GLEANER_RETURN_IF_ERROR(overrides->OptionalArray("nodePropertyOverrides", &properties));
  if (properties != nullptr) {
    GLEANER_RETURN_IF_ERROR(
        fields::ReadEach(*properties, overrides->PathOf("nodePropertyOverrides"),
                         &parsed.node_property_overrides, ReadNodePropertyOverride));
  }
  *out = std::move(parsed);
  return Status::Ok();
}

Status ReadArrayProperties(const ObjectFields& body, std::optional<int>* out) {
  std::optional<ObjectFields> properties;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("arrayProperties", &properties));
  if (!properties) return Status::Ok();
  GLEANER_RETURN_IF_ERROR(properties->Optional("size", out));
  if (!*out) return Status::Ok();
  return fields::CheckRange(properties->PathOf("size"), **out, kMinArraySize, kMaxArraySize);
}

// One dependency: a jobId (any non-empty id; BatchState finds the job) and an optional type.
// SEQUENTIAL needs no jobId in an array job: each child waits for the one before it. On a job
// that is not an array job, AWS takes either type with a jobId as a plain dependency (clients
// send a type for every dependency), and so does gleaner.
Status ReadDependency(const json& value, const std::string& path, bool is_array_job,
                      JobDependency* out) {
  Result<ObjectFields> dependency = ObjectFields::Open(value, path);
  if (!dependency.ok()) return dependency.status();
  GLEANER_RETURN_IF_ERROR(dependency->ReadIfPresent("type", &out->type));
  if (dependency->Has("type")) {
    GLEANER_RETURN_IF_ERROR(
        fields::CheckEnum(dependency->PathOf("type"), out->type, {"N_TO_N", "SEQUENTIAL"}));
  }
  if (out->type == "SEQUENTIAL" && !dependency->Has("jobId") && !is_array_job) {
    return Status::InvalidArgument(dependency->PathOf("jobId") +
                                   " is required: a SEQUENTIAL dependency without one orders the "
                                   "children of an array job, and this job is not one "
                                   "(arrayProperties.size)");
  }
  if (out->type == "SEQUENTIAL" && !dependency->Has("jobId")) return Status::Ok();
  if (!dependency->Has("jobId")) {
    return Status::InvalidArgument(dependency->PathOf("jobId") +
                                   " is required: only SEQUENTIAL dependencies go without one");
  }
  return fields::ReadIdentifier(*dependency, "jobId", &out->job_id);
}

Status ReadDependsOn(const ObjectFields& body, bool is_array_job, std::vector<JobDependency>* out) {
  const json* dependencies = nullptr;
  GLEANER_RETURN_IF_ERROR(body.OptionalArray("dependsOn", &dependencies));
  if (dependencies == nullptr) return Status::Ok();
  std::string path = body.PathOf("dependsOn");
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(path, dependencies->size(), 0, kMaxDependencies));
  return fields::ReadEach(
      *dependencies, path, out,
      [is_array_job](const json& value, const std::string& dependency_path, JobDependency* parsed) {
        return ReadDependency(value, dependency_path, is_array_job, parsed);
      });
}

Status ReadSchedulingPriorityOverride(const ObjectFields& body, std::optional<int>* out) {
  GLEANER_RETURN_IF_ERROR(body.Optional("schedulingPriorityOverride", out));
  if (!*out) return Status::Ok();
  return fields::CheckRange(body.PathOf("schedulingPriorityOverride"), **out, 0,
                            kMaxSchedulingPriority);
}

Status ReadShareIdentifier(const ObjectFields& body, std::optional<std::string>* out) {
  GLEANER_RETURN_IF_ERROR(body.Optional("shareIdentifier", out));
  if (!*out) return Status::Ok();
  return fields::CheckShareIdentifier(body.PathOf("shareIdentifier"), **out);
}

Status ReadSubmitJob(const ObjectFields& body, SubmitJobRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("jobName", &out->job_name));
  GLEANER_RETURN_IF_ERROR(fields::CheckJobName(body.PathOf("jobName"), out->job_name));
  GLEANER_RETURN_IF_ERROR(fields::ReadIdentifier(body, "jobQueue", &out->job_queue));
  GLEANER_RETURN_IF_ERROR(fields::ReadIdentifier(body, "jobDefinition", &out->job_definition));
  if (body.Has("eksPropertiesOverride")) {
    return Status::Unsupported(
        "eksPropertiesOverride is not supported: gleaner runs container jobs only");
  }
  GLEANER_RETURN_IF_ERROR(ReadShareIdentifier(body, &out->share_identifier));
  GLEANER_RETURN_IF_ERROR(ReadSchedulingPriorityOverride(body, &out->scheduling_priority_override));
  GLEANER_RETURN_IF_ERROR(ReadArrayProperties(body, &out->array_size));
  GLEANER_RETURN_IF_ERROR(ReadDependsOn(body, out->array_size.has_value(), &out->depends_on));
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("parameters", &out->parameters));
  GLEANER_RETURN_IF_ERROR(ReadContainerOverrides(body, &out->container_overrides));
  GLEANER_RETURN_IF_ERROR(ReadNodeOverrides(body, &out->node_overrides));
  GLEANER_RETURN_IF_ERROR(fields::ReadRetryStrategy(body, &out->retry_strategy));
  GLEANER_RETURN_IF_ERROR(fields::ReadJobTimeout(body, &out->timeout));
  GLEANER_RETURN_IF_ERROR(body.Optional("propagateTags", &out->propagate_tags));
  return fields::ReadTags(body, &out->tags);
}

}  // namespace

Result<SubmitJobRequest> ParseSubmitJob(const json& body) {
  return fields::ParseBody<SubmitJobRequest>(body, ReadSubmitJob);
}

}  // namespace gleaner
