// CreateComputeEnvironment, UpdateComputeEnvironment, DescribeComputeEnvironments and
// DeleteComputeEnvironment.

#include <iterator>
#include <limits>

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/json_fields.h"
#include "model/json_codec.h"

namespace gleaner {
namespace {

using fields::JsonKind;
using fields::ObjectFields;
using nlohmann::json;

constexpr int kMaxInt = std::numeric_limits<int>::max();
constexpr size_t kMaxDescribeNames = 100;

bool IsFargate(const std::string& type) { return type == "FARGATE" || type == "FARGATE_SPOT"; }

bool IsSpotStrategy(const std::string& strategy) { return strategy.starts_with("SPOT_"); }

// The members of computeResources gleaner keeps as given (the passthrough), with their shapes.
Status CheckPassthroughShapes(const ObjectFields& resources) {
  GLEANER_RETURN_IF_ERROR(resources.CheckKinds({
      {"subnets", JsonKind::kStringList},
      {"securityGroupIds", JsonKind::kStringList},
      {"ec2KeyPair", JsonKind::kString},
      {"instanceRole", JsonKind::kString},
      {"tags", JsonKind::kStringMap},
      {"placementGroup", JsonKind::kString},
      {"spotIamFleetRole", JsonKind::kString},
      {"imageId", JsonKind::kString},
      {"launchTemplate", JsonKind::kObject},
      {"ec2Configuration", JsonKind::kObjectList},
      {"updateToLatestImageVersion", JsonKind::kBoolean},
  }));
  std::optional<ObjectFields> launch_template;
  GLEANER_RETURN_IF_ERROR(resources.OptionalObject("launchTemplate", &launch_template));
  if (launch_template) {
    GLEANER_RETURN_IF_ERROR(launch_template->CheckKinds({{"launchTemplateId", JsonKind::kString},
                                                         {"launchTemplateName", JsonKind::kString},
                                                         {"version", JsonKind::kString}}));
  }
  return fields::CheckObjectList(resources, "ec2Configuration", {"imageType"},
                                 {{"imageType", JsonKind::kString},
                                  {"imageIdOverride", JsonKind::kString},
                                  {"imageKubernetesVersion", JsonKind::kString}});
}

// AWS documents each of these as "not applicable to jobs running on Fargate resources".
Status CheckFargateResources(const ObjectFields& resources, const std::string& type) {
  return resources.CheckAbsent(
      {"minvCpus", "desiredvCpus", "instanceTypes", "allocationStrategy", "bidPercentage",
       "imageId", "ec2KeyPair", "instanceRole", "placementGroup", "spotIamFleetRole",
       "launchTemplate", "ec2Configuration", "tags", "updateToLatestImageVersion"},
      type + " compute resources do not use it");
}

// minvCpus <= desiredvCpus <= maxvCpus, among those given.
Status CheckVcpuOrder(const ObjectFields& resources, std::optional<int> min,
                      std::optional<int> desired, std::optional<int> max) {
  if (min && max && *min > *max) {
    return fields::OutOfRange(resources.PathOf("minvCpus"),
                              "at most maxvCpus (" + std::to_string(*max) + ")",
                              std::to_string(*min));
  }
  if (desired && min && *desired < *min) {
    return fields::OutOfRange(resources.PathOf("desiredvCpus"),
                              "at least minvCpus (" + std::to_string(*min) + ")",
                              std::to_string(*desired));
  }
  if (desired && max && *desired > *max) {
    return fields::OutOfRange(resources.PathOf("desiredvCpus"),
                              "at most maxvCpus (" + std::to_string(*max) + ")",
                              std::to_string(*desired));
  }
  return Status::Ok();
}

Status ReadVcpuCount(const ObjectFields& resources, std::string_view member,
                     std::optional<int>* out) {
  GLEANER_RETURN_IF_ERROR(resources.Optional(member, out));
  if (!*out) return Status::Ok();
  return fields::CheckRange(resources.PathOf(member), **out, 0, kMaxInt);
}

// The members CreateComputeEnvironment and UpdateComputeEnvironment type alike.
struct ResourceSettings {
  std::optional<int> minv_cpus;
  std::optional<int> maxv_cpus;
  std::optional<int> desiredv_cpus;
  std::optional<std::vector<std::string>> instance_types;
  std::optional<int> bid_percentage;
};

Status ReadResourceSettings(const ObjectFields& resources, ResourceSettings* out) {
  GLEANER_RETURN_IF_ERROR(ReadVcpuCount(resources, "minvCpus", &out->minv_cpus));
  GLEANER_RETURN_IF_ERROR(ReadVcpuCount(resources, "maxvCpus", &out->maxv_cpus));
  GLEANER_RETURN_IF_ERROR(ReadVcpuCount(resources, "desiredvCpus", &out->desiredv_cpus));
  GLEANER_RETURN_IF_ERROR(
      CheckVcpuOrder(resources, out->minv_cpus, out->desiredv_cpus, out->maxv_cpus));
  GLEANER_RETURN_IF_ERROR(resources.Optional("instanceTypes", &out->instance_types));
  if (out->instance_types) {
    for (size_t index = 0; index < out->instance_types->size(); ++index) {
      const std::string& instance_type = (*out->instance_types)[index];
      if (instance_type.empty()) {
        return fields::Invalid(fields::IndexPath(resources.PathOf("instanceTypes"), index),
                               instance_type, "must not be empty");
      }
    }
  }
  GLEANER_RETURN_IF_ERROR(resources.Optional("bidPercentage", &out->bid_percentage));
  if (out->bid_percentage) {
    GLEANER_RETURN_IF_ERROR(
        fields::CheckRange(resources.PathOf("bidPercentage"), *out->bid_percentage, 0, 100));
  }
  return CheckPassthroughShapes(resources);
}

Status CheckAllocationStrategy(const ObjectFields& resources, const std::string& type,
                               std::initializer_list<std::string_view> allowed) {
  if (!resources.Has("allocationStrategy")) return Status::Ok();
  std::string strategy;
  GLEANER_RETURN_IF_ERROR(resources.Required("allocationStrategy", &strategy));
  std::string path = resources.PathOf("allocationStrategy");
  GLEANER_RETURN_IF_ERROR(fields::CheckEnum(path, strategy, allowed));
  if (IsSpotStrategy(strategy) && !type.empty() && type != "SPOT") {
    return fields::Invalid(path, strategy,
                           "SPOT_* strategies need computeResources.type SPOT, got " + type);
  }
  return Status::Ok();
}

// CreateComputeEnvironment's computeResources. botocore marks `subnets` required, as AWS needs
// a VPC to launch into; gleaner launches no VPC instances, so it accepts them missing (and keeps
// them when given).
Status ReadComputeResources(const ObjectFields& resources, ComputeResources* out) {
  std::string type;
  GLEANER_RETURN_IF_ERROR(resources.Required("type", &type));
  GLEANER_RETURN_IF_ERROR(fields::CheckEnum(resources.PathOf("type"), type,
                                            {"EC2", "SPOT", "FARGATE", "FARGATE_SPOT"}));
  if (IsFargate(type)) GLEANER_RETURN_IF_ERROR(CheckFargateResources(resources, type));
  if (!resources.Has("maxvCpus")) return fields::Missing(resources.PathOf("maxvCpus"));
  if (!IsFargate(type) && !resources.Has("instanceRole")) {
    // AWS's words: the instances need an instance profile to join the ECS cluster.
    return Status::InvalidArgument(resources.PathOf("instanceRole") +
                                   " is required: Instance role is required. (" + type +
                                   " compute resources launch instances, which need an instance "
                                   "profile such as ecsInstanceRole)");
  }
  ResourceSettings settings;
  GLEANER_RETURN_IF_ERROR(ReadResourceSettings(resources, &settings));
  GLEANER_RETURN_IF_ERROR(
      CheckAllocationStrategy(resources, type,
                              {"BEST_FIT", "BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED",
                               "SPOT_PRICE_CAPACITY_OPTIMIZED"}));
  // The model's codec owns the split into typed members and passthrough.
  Result<ComputeResources> parsed = ComputeResourcesFromJson(resources.object());
  if (!parsed.ok()) return parsed.status();
  *out = std::move(parsed).value();
  if (!IsFargate(type) && out->allocation_strategy.empty()) out->allocation_strategy = "BEST_FIT";
  return Status::Ok();
}

Status ReadEnvironmentType(const ObjectFields& body, ComputeEnvironment* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("type", &out->type));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckEnum(body.PathOf("type"), out->type, {"MANAGED", "UNMANAGED"}));
  std::optional<ObjectFields> resources;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("computeResources", &resources));
  if (out->type == "UNMANAGED") {
    if (resources) {
      return fields::NotAllowed("computeResources",
                                "UNMANAGED compute environments take no computeResources");
    }
    return Status::Ok();
  }
  if (body.Has("unmanagedvCpus")) {
    return fields::NotAllowed("unmanagedvCpus",
                              "it applies only to UNMANAGED compute environments");
  }
  if (!resources) {
    return Status::InvalidArgument(
        "computeResources is required: MANAGED compute environments need computeResources");
  }
  return ReadComputeResources(*resources, &out->compute_resources.emplace());
}

Status CheckNoEks(const ObjectFields& body) {
  if (!body.Has("eksConfiguration")) return Status::Ok();
  return Status::Unsupported(
      "eksConfiguration is not supported: gleaner runs ECS-style compute environments only");
}

Status ReadUnmanagedVcpus(const ObjectFields& body, std::optional<int>* out) {
  GLEANER_RETURN_IF_ERROR(body.Optional("unmanagedvCpus", out));
  if (!*out) return Status::Ok();
  return fields::CheckRange(body.PathOf("unmanagedvCpus"), **out, 0, kMaxInt);
}

Status ReadCreateComputeEnvironment(const ObjectFields& body, ComputeEnvironment* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("computeEnvironmentName", &out->name));
  GLEANER_RETURN_IF_ERROR(fields::CheckResourceName("computeEnvironmentName", out->name));
  GLEANER_RETURN_IF_ERROR(CheckNoEks(body));
  GLEANER_RETURN_IF_ERROR(ReadEnvironmentType(body, out));
  std::optional<ResourceState> state;
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceState(body, &state));
  out->state = state.value_or(ResourceState::kEnabled);
  GLEANER_RETURN_IF_ERROR(ReadUnmanagedVcpus(body, &out->unmanagedv_cpus));
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("serviceRole", &out->service_role));
  return fields::ReadTags(body, &out->tags);
}

// ComputeResourceUpdate: the typed members go to their fields, every other member to the
// passthrough BatchState merges into the environment's.
Status ReadComputeResourcesUpdate(const ObjectFields& resources,
                                  UpdateComputeEnvironmentRequest* out) {
  std::string type;
  GLEANER_RETURN_IF_ERROR(resources.ReadIfPresent("type", &type));
  if (resources.Has("type")) {
    GLEANER_RETURN_IF_ERROR(fields::CheckEnum(resources.PathOf("type"), type,
                                              {"EC2", "SPOT", "FARGATE", "FARGATE_SPOT"}));
    if (IsFargate(type)) GLEANER_RETURN_IF_ERROR(CheckFargateResources(resources, type));
  }
  ResourceSettings settings;
  GLEANER_RETURN_IF_ERROR(ReadResourceSettings(resources, &settings));
  // AWS cannot move an environment back to BEST_FIT; the rest are allowed.
  GLEANER_RETURN_IF_ERROR(CheckAllocationStrategy(
      resources, type,
      {"BEST_FIT_PROGRESSIVE", "SPOT_CAPACITY_OPTIMIZED", "SPOT_PRICE_CAPACITY_OPTIMIZED"}));
  GLEANER_RETURN_IF_ERROR(resources.Optional("allocationStrategy", &out->allocation_strategy));
  out->minv_cpus = settings.minv_cpus;
  out->maxv_cpus = settings.maxv_cpus;
  out->desiredv_cpus = settings.desiredv_cpus;
  out->instance_types = std::move(settings.instance_types);
  out->bid_percentage = settings.bid_percentage;
  json passthrough = resources.object();
  for (const char* typed : {"minvCpus", "maxvCpus", "desiredvCpus", "instanceTypes",
                            "bidPercentage", "allocationStrategy"}) {
    passthrough.erase(typed);
  }
  // A null member means "not given": it must not overwrite the environment's value.
  for (auto member = passthrough.begin(); member != passthrough.end();) {
    member = member->is_null() ? passthrough.erase(member) : std::next(member);
  }
  out->compute_resources_passthrough = std::move(passthrough);
  return Status::Ok();
}

Status CheckUpdatePolicy(const ObjectFields& body) {
  std::optional<ObjectFields> policy;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("updatePolicy", &policy));
  if (!policy) return Status::Ok();
  std::optional<bool> terminate;
  GLEANER_RETURN_IF_ERROR(policy->Optional("terminateJobsOnUpdate", &terminate));
  std::optional<int64_t> minutes;
  GLEANER_RETURN_IF_ERROR(policy->Optional("jobExecutionTimeoutMinutes", &minutes));
  if (!minutes) return Status::Ok();
  return fields::CheckRange(policy->PathOf("jobExecutionTimeoutMinutes"), *minutes, 1, 360);
}

Status ReadUpdateComputeEnvironment(const ObjectFields& body,
                                    UpdateComputeEnvironmentRequest* out) {
  GLEANER_RETURN_IF_ERROR(
      fields::ReadIdentifier(body, "computeEnvironment", &out->compute_environment));
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceState(body, &out->state));
  GLEANER_RETURN_IF_ERROR(ReadUnmanagedVcpus(body, &out->unmanagedv_cpus));
  GLEANER_RETURN_IF_ERROR(body.Optional("serviceRole", &out->service_role));
  // updatePolicy only matters for AWS's instance replacement, which gleaner does not do: it is
  // checked and not kept (UpdateComputeEnvironmentRequest has no member for it).
  GLEANER_RETURN_IF_ERROR(CheckUpdatePolicy(body));
  std::optional<ObjectFields> resources;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("computeResources", &resources));
  if (!resources) return Status::Ok();
  return ReadComputeResourcesUpdate(*resources, out);
}

Status ReadDescribeComputeEnvironments(const ObjectFields& body,
                                       DescribeComputeEnvironmentsRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("computeEnvironments", &out->compute_environments));
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(
      "computeEnvironments", out->compute_environments.size(), 0, kMaxDescribeNames));
  return fields::ReadPage(body, &out->page);
}

Status ReadDeleteComputeEnvironment(const ObjectFields& body,
                                    DeleteComputeEnvironmentRequest* out) {
  return fields::ReadIdentifier(body, "computeEnvironment", &out->compute_environment);
}

}  // namespace

Result<CreateComputeEnvironmentRequest> ParseCreateComputeEnvironment(const json& body) {
  return fields::ParseBody<CreateComputeEnvironmentRequest>(body, ReadCreateComputeEnvironment);
}

Result<UpdateComputeEnvironmentRequest> ParseUpdateComputeEnvironment(const json& body) {
  return fields::ParseBody<UpdateComputeEnvironmentRequest>(body, ReadUpdateComputeEnvironment);
}

Result<DescribeComputeEnvironmentsRequest> ParseDescribeComputeEnvironments(const json& body) {
  return fields::ParseBody<DescribeComputeEnvironmentsRequest>(body,
                                                               ReadDescribeComputeEnvironments);
}

Result<DeleteComputeEnvironmentRequest> ParseDeleteComputeEnvironment(const json& body) {
  return fields::ParseBody<DeleteComputeEnvironmentRequest>(body, ReadDeleteComputeEnvironment);
}

}  // namespace gleaner
