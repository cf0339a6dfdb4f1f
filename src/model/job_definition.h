#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/compute_environment.h"

namespace gleaner {

struct KeyValuePair {
  std::string name;
  std::string value;
  bool operator==(const KeyValuePair&) const = default;
};

struct ResourceRequirement {
  std::string type;   // VCPU | MEMORY | GPU
  std::string value;  // as sent: "1", "0.25", "2048"
  bool operator==(const ResourceRequirement&) const = default;
};

// containerProperties / ContainerDetail. What gleaner acts on is typed; the rest (volumes,
// mountPoints, linuxParameters, logConfiguration, secrets, ...) is kept as given and echoed back.
struct ContainerProperties {
  std::string image;
  std::vector<std::string> command;
  std::vector<KeyValuePair> environment;
  std::vector<ResourceRequirement> resource_requirements;
  std::optional<int> vcpus;   // legacy
  std::optional<int> memory;  // legacy, MiB
  std::string instance_type;
  nlohmann::json passthrough = nlohmann::json::object();
  bool operator==(const ContainerProperties&) const = default;
};

struct EvaluateOnExit {
  std::optional<std::string> on_status_reason;
  std::optional<std::string> on_reason;
  std::optional<std::string> on_exit_code;
  std::string action;  // RETRY | EXIT, as sent (matching is case-insensitive)
};

struct RetryStrategy {
  std::optional<int> attempts;
  std::vector<EvaluateOnExit> evaluate_on_exit;
};

struct JobTimeout {
  std::optional<int> attempt_duration_seconds;
};

struct JobDefinition {
  std::string name;
  std::string arn;
  int revision = 0;
  std::string status;  // ACTIVE | INACTIVE
  std::string type;    // container | multinode
  std::map<std::string, std::string> parameters;
  std::optional<int> scheduling_priority;
  std::optional<RetryStrategy> retry_strategy;
  std::optional<ContainerProperties> container_properties;
  std::optional<JobTimeout> timeout;
  nlohmann::json node_properties;  // null when absent; as given (see NodePropertiesFromJson)
  TagMap tags;
  std::optional<bool> propagate_tags;
  std::vector<std::string> platform_capabilities;
  EpochMillis created_at = 0;
};

}  // namespace gleaner
