#include "scheduler/container_overrides.h"

namespace gleaner {
namespace {

void MergeEnvironment(std::vector<KeyValuePair>& into, const std::vector<KeyValuePair>& overrides) {
  for (const KeyValuePair& variable : overrides) {
    bool replaced = false;
    for (KeyValuePair& existing : into) {
      if (existing.name == variable.name) {
        existing.value = variable.value;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(variable);
  }
}

void MergeResourceRequirements(std::vector<ResourceRequirement>& into,
                               const std::vector<ResourceRequirement>& overrides) {
  for (const ResourceRequirement& requirement : overrides) {
    bool replaced = false;
    for (ResourceRequirement& existing : into) {
      if (existing.type == requirement.type) {
        existing.value = requirement.value;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(requirement);
  }
}

}  // namespace

void ApplyOverrides(ContainerProperties& container, const ContainerOverrides& overrides) {
  if (overrides.command) container.command = *overrides.command;
  MergeEnvironment(container.environment, overrides.environment);
  MergeResourceRequirements(container.resource_requirements, overrides.resource_requirements);
  if (overrides.vcpus) container.vcpus = overrides.vcpus;
  if (overrides.memory) container.memory = overrides.memory;
  if (overrides.instance_type) container.instance_type = *overrides.instance_type;
}

}  // namespace gleaner
