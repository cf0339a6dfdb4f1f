#include "model/arn.h"

#include <cstddef>

namespace gleaner {
namespace {

constexpr std::string_view kArnPrefix = "arn:";
// arn:<partition>:<service>:<region>:<account>:<resource> — the resource is the sixth part.
constexpr int kColonsBeforeResource = 5;

std::string ServiceArn(std::string_view service, const ArnScope& scope,
                       std::string_view resource_type, std::string_view resource) {
  std::string arn;
  arn.reserve(16 + service.size() + scope.region.size() + scope.account_id.size() +
              resource_type.size() + resource.size());
  arn.append("arn:").append(scope.Partition()).append(":").append(service).append(":");
  arn.append(scope.region).append(":");
  arn.append(scope.account_id).append(":");
  arn.append(resource_type).append("/");
  arn.append(resource);
  return arn;
}

// Where the resource part ("job-queue/q1") starts, or npos when `text` is not shaped like an ARN.
size_t ResourceStart(std::string_view text) {
  if (!text.starts_with(kArnPrefix)) return std::string_view::npos;
  size_t position = 0;
  for (int colon = 0; colon < kColonsBeforeResource; ++colon) {
    position = text.find(':', position);
    if (position == std::string_view::npos) return std::string_view::npos;
    ++position;
  }
  return position;
}

}  // namespace

std::string ArnScope::ComputeEnvironment(std::string_view name) const {
  return ServiceArn("batch", *this, "compute-environment", name);
}

std::string ArnScope::JobQueue(std::string_view name) const {
  return ServiceArn("batch", *this, "job-queue", name);
}

std::string ArnScope::JobDefinition(std::string_view name, int revision) const {
  std::string resource(name);
  resource.append(":").append(std::to_string(revision));
  return ServiceArn("batch", *this, "job-definition", resource);
}

std::string ArnScope::Job(std::string_view job_id) const {
  return ServiceArn("batch", *this, "job", job_id);
}

std::string ArnScope::SchedulingPolicy(std::string_view name) const {
  return ServiceArn("batch", *this, "scheduling-policy", name);
}

std::string ArnScope::EcsCluster(std::string_view name) const {
  return ServiceArn("ecs", *this, "cluster", name);
}

std::string ArnScope::EcsTask(std::string_view task_id) const {
  return ServiceArn("ecs", *this, "task", task_id);
}

std::string ArnScope::EcsContainerInstance(std::string_view id) const {
  return ServiceArn("ecs", *this, "container-instance", id);
}

std::string ArnScope::Resource(std::string_view service, std::string_view resource) const {
  std::string arn = "arn:";
  arn.append(Partition()).append(":").append(service).append(":").append(region).append(":");
  return arn.append(account_id).append(":").append(resource);
}

std::string ArnScope::Iam(std::string_view resource) const {
  std::string arn = "arn:";
  arn.append(Partition()).append(":iam::").append(account_id).append(":");
  return arn.append(resource);
}

std::string_view ArnScope::Partition() const {
  std::string_view name = region;
  if (name.starts_with("cn-")) return "aws-cn";
  if (name.starts_with("us-gov-")) return "aws-us-gov";
  if (name.starts_with("us-isob-")) return "aws-iso-b";
  if (name.starts_with("us-iso-")) return "aws-iso";
  return "aws";
}

std::string ArnResourceName(std::string_view arn, std::string_view resource_type) {
  size_t start = ResourceStart(arn);
  if (start == std::string_view::npos) return "";
  std::string_view resource = arn.substr(start);
  if (!resource.starts_with(resource_type)) return "";
  resource.remove_prefix(resource_type.size());
  if (!resource.starts_with('/')) return "";
  resource.remove_prefix(1);
  return std::string(resource);
}

bool LooksLikeArn(std::string_view text) {
  size_t start = ResourceStart(text);
  return start != std::string_view::npos && start < text.size();
}

}  // namespace gleaner
