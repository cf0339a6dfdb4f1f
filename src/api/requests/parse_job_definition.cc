// RegisterJobDefinition, DescribeJobDefinitions and DeregisterJobDefinition.

#include <algorithm>
#include <cstdint>
#include <limits>

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/job_parts.h"
#include "api/requests/json_fields.h"
#include "model/json_codec.h"
#include "model/node_properties.h"

namespace gleaner {
namespace {

using fields::JsonKind;
using fields::ObjectFields;
using fields::VcpuPrecision;
using nlohmann::json;

constexpr int kMaxSchedulingPriority = 9999;
constexpr size_t kMaxDescribeNames = 100;

Status CheckLogConfiguration(const ObjectFields& container) {
  std::optional<ObjectFields> log;
  GLEANER_RETURN_IF_ERROR(container.OptionalObject("logConfiguration", &log));
  if (!log) return Status::Ok();
  std::string driver;
  GLEANER_RETURN_IF_ERROR(log->Required("logDriver", &driver));
  GLEANER_RETURN_IF_ERROR(fields::CheckEnum(
      log->PathOf("logDriver"), driver,
      {"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk"}));
  GLEANER_RETURN_IF_ERROR(log->CheckKinds({{"options", JsonKind::kStringMap}}));
  return fields::CheckObjectList(*log, "secretOptions", {"name", "valueFrom"},
                                 {{"name", JsonKind::kString}, {"valueFrom", JsonKind::kString}});
}

Status CheckLinuxParameters(const ObjectFields& container) {
  std::optional<ObjectFields> linux_parameters;
  GLEANER_RETURN_IF_ERROR(container.OptionalObject("linuxParameters", &linux_parameters));
  if (!linux_parameters) return Status::Ok();
  GLEANER_RETURN_IF_ERROR(linux_parameters->CheckKinds({{"initProcessEnabled", JsonKind::kBoolean},
                                                        {"sharedMemorySize", JsonKind::kInteger},
                                                        {"maxSwap", JsonKind::kInteger},
                                                        {"swappiness", JsonKind::kInteger}}));
  GLEANER_RETURN_IF_ERROR(fields::CheckObjectList(*linux_parameters, "devices", {"hostPath"},
                                                  {{"hostPath", JsonKind::kString},
                                                   {"containerPath", JsonKind::kString},
                                                   {"permissions", JsonKind::kStringList}}));
  return fields::CheckObjectList(*linux_parameters, "tmpfs", {"containerPath", "size"},
                                 {{"containerPath", JsonKind::kString},
                                  {"size", JsonKind::kInteger},
                                  {"mountOptions", JsonKind::kStringList}});
}

// What AWS accepts and gleaner cannot do yet: refused at registration, never silently ignored.
Status CheckNotSupportedYet(const ObjectFields& container) {
  const json* volumes = container.Find("volumes");
  if (volumes != nullptr) {
    for (size_t index = 0; index < volumes->size(); ++index) {
      if ((*volumes)[index].contains("efsVolumeConfiguration")) {
        return Status::InvalidArgument(
            fields::MemberPath(fields::IndexPath(container.PathOf("volumes"), index),
                               "efsVolumeConfiguration") +
            " is not supported yet: gleaner cannot mount Amazon EFS; use a host volume "
            "(host.sourcePath) instead");
      }
    }
  }
  const json* secrets = container.Find("secrets");
  if (secrets != nullptr && !secrets->empty()) {
    return Status::InvalidArgument(container.PathOf("secrets") +
                                   " is not supported yet: gleaner has no secret store (Secrets "
                                   "Manager, SSM Parameter Store); pass the value in environment");
  }
  return Status::Ok();
}

// The members of containerProperties gleaner keeps as given: their shapes, as botocore's model
// has them, one or two levels deep.
Status CheckContainerPassthrough(const ObjectFields& container) {
  GLEANER_RETURN_IF_ERROR(container.CheckKinds({
      {"image", JsonKind::kString},
      {"instanceType", JsonKind::kString},
      {"jobRoleArn", JsonKind::kString},
      {"executionRoleArn", JsonKind::kString},
      {"readonlyRootFilesystem", JsonKind::kBoolean},
      {"privileged", JsonKind::kBoolean},
      {"user", JsonKind::kString},
      {"networkConfiguration", JsonKind::kObject},
      {"fargatePlatformConfiguration", JsonKind::kObject},
  }));
  GLEANER_RETURN_IF_ERROR(fields::CheckObjectList(container, "volumes", {},
                                                  {{"name", JsonKind::kString},
                                                   {"host", JsonKind::kObject},
                                                   {"efsVolumeConfiguration", JsonKind::kObject}}));
  GLEANER_RETURN_IF_ERROR(fields::CheckObjectList(container, "mountPoints", {},
                                                  {{"containerPath", JsonKind::kString},
                                                   {"readOnly", JsonKind::kBoolean},
                                                   {"sourceVolume", JsonKind::kString}}));
  GLEANER_RETURN_IF_ERROR(fields::CheckObjectList(container, "ulimits",
                                                  {"hardLimit", "name", "softLimit"},
                                                  {{"hardLimit", JsonKind::kInteger},
                                                   {"name", JsonKind::kString},
                                                   {"softLimit", JsonKind::kInteger}}));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckObjectList(container, "secrets", {"name", "valueFrom"},
                              {{"name", JsonKind::kString}, {"valueFrom", JsonKind::kString}}));
  GLEANER_RETURN_IF_ERROR(CheckLinuxParameters(container));
  GLEANER_RETURN_IF_ERROR(CheckNotSupportedYet(container));
  return CheckLogConfiguration(container);
}

Status CheckContainer(const ObjectFields& container, VcpuPrecision precision) {
  std::optional<std::vector<std::string>> command;
  GLEANER_RETURN_IF_ERROR(fields::ReadCommand(container, &command));
  std::vector<KeyValuePair> environment;
  GLEANER_RETURN_IF_ERROR(fields::ReadEnvironment(container, &environment));
  std::vector<ResourceRequirement> requirements;
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceRequirements(container, precision, &requirements));
  std::optional<int> vcpus;
  std::optional<int> memory;
  GLEANER_RETURN_IF_ERROR(fields::ReadLegacyResources(container, &vcpus, &memory));
  return CheckContainerPassthrough(container);
}

// containerProperties: checked here, then split into typed members and passthrough by the
// model's codec, which owns that split.
Status ReadContainerProperties(const ObjectFields& body, VcpuPrecision precision,
                               std::optional<ContainerProperties>* out) {
  std::optional<ObjectFields> container;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("containerProperties", &container));
  if (!container) return Status::Ok();
  GLEANER_RETURN_IF_ERROR(CheckContainer(*container, precision));
  Result<ContainerProperties> parsed = ContainerPropertiesFromJson(container->object());
  if (!parsed.ok()) return parsed.status();
  *out = std::move(parsed).value();
  return Status::Ok();
}

// "n", "n:m", ":m", "n:" or ":" with every index below numNodes and n <= m.
Status CheckTargetNodes(const std::string& path, const std::string& target, int num_nodes) {
  if (ParseTargetNodes(target, num_nodes)) return Status::Ok();
  return fields::Invalid(path, target,
                         "must be a node index or range (\"0\", \"0:3\", \":3\", \"1:\") with "
                         "indexes below numNodes (" +
                             std::to_string(num_nodes) + ")");
}

// AWS: "Your accumulative node ranges must account for all nodes (0:n)". Ranges may nest.
Status CheckRangesCoverEveryNode(const std::string& path, const json& ranges, int num_nodes) {
  std::vector<NodeRange> sorted;
  for (const json& range : ranges) {
    sorted.push_back(*ParseTargetNodes(range["targetNodes"].get<std::string>(), num_nodes));
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const NodeRange& a, const NodeRange& b) { return a.first < b.first; });
  int64_t next_uncovered = 0;
  for (const NodeRange& range : sorted) {
    if (range.first > next_uncovered) break;
    next_uncovered = std::max<int64_t>(next_uncovered, int64_t{range.last} + 1);
  }
  if (next_uncovered >= num_nodes) return Status::Ok();
  return Status::InvalidArgument(path + " is invalid: node " + std::to_string(next_uncovered) +
                                 " is in no range; the ranges must cover every node from 0 to " +
                                 std::to_string(num_nodes - 1));
}

// One of nodeProperties.nodeRangeProperties: its targetNodes and container.
Status CheckNodeRange(const json& value, const std::string& path, int num_nodes) {
  Result<ObjectFields> range = ObjectFields::Open(value, path);
  if (!range.ok()) return range.status();
  std::string target;
  GLEANER_RETURN_IF_ERROR(range->Required("targetNodes", &target));
  GLEANER_RETURN_IF_ERROR(CheckTargetNodes(range->PathOf("targetNodes"), target, num_nodes));
  std::optional<ObjectFields> container;
  GLEANER_RETURN_IF_ERROR(range->OptionalObject("container", &container));
  if (!container) return Status::Ok();
  return CheckContainer(*container, VcpuPrecision::kWhole);
}

// nodeProperties is kept as given, after AWS's checks; SubmitJob reads it into NodeProperties.
Status ReadNodeProperties(const ObjectFields& body, json* out) {
  std::optional<ObjectFields> nodes;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("nodeProperties", &nodes));
  if (!nodes) return Status::Ok();
  int num_nodes = 0;
  GLEANER_RETURN_IF_ERROR(nodes->Required("numNodes", &num_nodes));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckRange(nodes->PathOf("numNodes"), num_nodes, 1, std::numeric_limits<int>::max()));
  int main_node = 0;
  GLEANER_RETURN_IF_ERROR(nodes->Required("mainNode", &main_node));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckRange(nodes->PathOf("mainNode"), main_node, 0, num_nodes - 1));
  const json* ranges = nullptr;
  GLEANER_RETURN_IF_ERROR(nodes->OptionalArray("nodeRangeProperties", &ranges));
  if (ranges == nullptr) return fields::Missing(nodes->PathOf("nodeRangeProperties"));
  std::string path = nodes->PathOf("nodeRangeProperties");
  // Each range names at least one node, so there are at most numNodes of them.
  GLEANER_RETURN_IF_ERROR(
      fields::CheckCount(path, ranges->size(), 1, static_cast<size_t>(num_nodes)));
  GLEANER_RETURN_IF_ERROR(fields::ForEachElement(
      *ranges, path, [num_nodes](const json& value, const std::string& range_path) {
        return CheckNodeRange(value, range_path, num_nodes);
      }));
  GLEANER_RETURN_IF_ERROR(CheckRangesCoverEveryNode(path, *ranges, num_nodes));
  *out = nodes->object();
  return Status::Ok();
}

Status ReadPlatformCapabilities(const ObjectFields& body, std::vector<std::string>* out) {
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("platformCapabilities", out));
  for (size_t index = 0; index < out->size(); ++index) {
    GLEANER_RETURN_IF_ERROR(
        fields::CheckEnum(fields::IndexPath(body.PathOf("platformCapabilities"), index),
                          (*out)[index], {"EC2", "FARGATE"}));
  }
  return Status::Ok();
}

// type container needs containerProperties and takes no nodeProperties; multinode the reverse,
// and multi-node parallel jobs do not run on Fargate.
Status CheckTypeMatchesProperties(const ObjectFields& body, const JobDefinition& definition,
                                  bool fargate) {
  if (definition.type == "container") {
    if (!definition.container_properties) {
      return Status::InvalidArgument(
          "containerProperties is required: type \"container\" job definitions need it");
    }
    return body.CheckAbsent({"nodeProperties"}, "type \"container\" job definitions take none");
  }
  if (fargate) {
    return fields::Invalid("type", definition.type,
                           "multi-node parallel jobs do not run on FARGATE");
  }
  if (definition.node_properties.is_null()) {
    return Status::InvalidArgument(
        "nodeProperties is required: type \"multinode\" job definitions need it");
  }
  return body.CheckAbsent({"containerProperties"},
                          "type \"multinode\" job definitions take their containers in "
                          "nodeProperties.nodeRangeProperties");
}

Status ReadSchedulingPriority(const ObjectFields& body, std::optional<int>* out) {
  GLEANER_RETURN_IF_ERROR(body.Optional("schedulingPriority", out));
  if (!*out) return Status::Ok();
  return fields::CheckRange(body.PathOf("schedulingPriority"), **out, 0, kMaxSchedulingPriority);
}

Status ReadRegisterJobDefinition(const ObjectFields& body, JobDefinition* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("jobDefinitionName", &out->name));
  GLEANER_RETURN_IF_ERROR(fields::CheckResourceName(body.PathOf("jobDefinitionName"), out->name));
  GLEANER_RETURN_IF_ERROR(body.Required("type", &out->type));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckEnum(body.PathOf("type"), out->type, {"container", "multinode"}));
  if (body.Has("eksProperties")) {
    return Status::Unsupported(
        "eksProperties is not supported: gleaner runs container job definitions "
        "(containerProperties) only");
  }
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("parameters", &out->parameters));
  GLEANER_RETURN_IF_ERROR(ReadSchedulingPriority(body, &out->scheduling_priority));
  GLEANER_RETURN_IF_ERROR(ReadPlatformCapabilities(body, &out->platform_capabilities));
  bool fargate = std::find(out->platform_capabilities.begin(), out->platform_capabilities.end(),
                           "FARGATE") != out->platform_capabilities.end();
  VcpuPrecision precision = fargate ? VcpuPrecision::kFractional : VcpuPrecision::kWhole;
  GLEANER_RETURN_IF_ERROR(ReadContainerProperties(body, precision, &out->container_properties));
  GLEANER_RETURN_IF_ERROR(ReadNodeProperties(body, &out->node_properties));
  GLEANER_RETURN_IF_ERROR(CheckTypeMatchesProperties(body, *out, fargate));
  GLEANER_RETURN_IF_ERROR(fields::ReadRetryStrategy(body, &out->retry_strategy));
  GLEANER_RETURN_IF_ERROR(fields::ReadJobTimeout(body, &out->timeout));
  GLEANER_RETURN_IF_ERROR(body.Optional("propagateTags", &out->propagate_tags));
  return fields::ReadTags(body, &out->tags);
}

Status ReadDescribeJobDefinitions(const ObjectFields& body, DescribeJobDefinitionsRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("jobDefinitions", &out->job_definitions));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckCount("jobDefinitions", out->job_definitions.size(), 0, kMaxDescribeNames));
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("jobDefinitionName", &out->job_definition_name));
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("status", &out->status));
  if (body.Has("status")) {
    GLEANER_RETURN_IF_ERROR(
        fields::CheckEnum(body.PathOf("status"), out->status, {"ACTIVE", "INACTIVE"}));
  }
  return fields::ReadPage(body, &out->page);
}

Status ReadDeregisterJobDefinition(const ObjectFields& body, DeregisterJobDefinitionRequest* out) {
  return fields::ReadIdentifier(body, "jobDefinition", &out->job_definition);
}

}  // namespace

Result<RegisterJobDefinitionRequest> ParseRegisterJobDefinition(const json& body) {
  return fields::ParseBody<RegisterJobDefinitionRequest>(body, ReadRegisterJobDefinition);
}

Result<DescribeJobDefinitionsRequest> ParseDescribeJobDefinitions(const json& body) {
  return fields::ParseBody<DescribeJobDefinitionsRequest>(body, ReadDescribeJobDefinitions);
}

Result<DeregisterJobDefinitionRequest> ParseDeregisterJobDefinition(const json& body) {
  return fields::ParseBody<DeregisterJobDefinitionRequest>(body, ReadDeregisterJobDefinition);
}

}  // namespace gleaner
