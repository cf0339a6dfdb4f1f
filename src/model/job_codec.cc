#include "model/json_codec.h"

#include "model/json_members.h"

// The codecs of job definitions and jobs, and of their parts (container, retry strategy, timeout).

namespace gleaner {
namespace {

using nlohmann::json;

// ---- ContainerProperties ----

void ReadKeyValuePair(JsonObjectReader& in, KeyValuePair& out) {
  in.Read("name", out.name);
  in.Read("value", out.value);
}

void ReadResourceRequirement(JsonObjectReader& in, ResourceRequirement& out) {
  in.Read("type", out.type);
  in.Read("value", out.value);
}

void ReadContainerTypedMembers(JsonObjectReader& in, ContainerProperties& out) {
  in.Read("image", out.image);
  in.Read("command", out.command);
  in.ReadObjectList("environment", out.environment, ReadKeyValuePair);
  in.ReadObjectList("resourceRequirements", out.resource_requirements, ReadResourceRequirement);
  in.Read("vcpus", out.vcpus);
  in.Read("memory", out.memory);
  in.Read("instanceType", out.instance_type);
}

void ReadContainerProperties(JsonObjectReader& in, ContainerProperties& out) {
  ReadContainerTypedMembers(in, out);
  out.passthrough = in.UnreadMembers();  // volumes, mountPoints, linuxParameters, ...
}

// ---- RetryStrategy, JobTimeout ----

void ReadEvaluateOnExit(JsonObjectReader& in, EvaluateOnExit& out) {
  in.Read("onStatusReason", out.on_status_reason);
  in.Read("onReason", out.on_reason);
  in.Read("onExitCode", out.on_exit_code);
  in.Read("action", out.action);
}

void ReadRetryStrategy(JsonObjectReader& in, RetryStrategy& out) {
  in.Read("attempts", out.attempts);
  in.ReadObjectList("evaluateOnExit", out.evaluate_on_exit, ReadEvaluateOnExit);
}

void ReadJobTimeout(JsonObjectReader& in, JobTimeout& out) {
  in.Read("attemptDurationSeconds", out.attempt_duration_seconds);
}

json ToJson(const EvaluateOnExit& rule) {
  json out = {{"action", rule.action}};
  SetIfPresent(out, "onStatusReason", rule.on_status_reason);
  SetIfPresent(out, "onReason", rule.on_reason);
  SetIfPresent(out, "onExitCode", rule.on_exit_code);
  return out;
}

// ---- NodeProperties ----

void ReadNodeRangeProperty(JsonObjectReader& in, NodeRangeProperty& out) {
  in.Read("targetNodes", out.target_nodes);
  in.ReadObject("container", out.container, ReadContainerProperties);
  out.passthrough = in.UnreadMembers();  // instanceTypes, ecsProperties, ...
}

void ReadNodeProperties(JsonObjectReader& in, NodeProperties& out) {
  in.Require("numNodes");
  in.Read("numNodes", out.num_nodes);
  in.Read("mainNode", out.main_node);
  in.ReadObjectList("nodeRangeProperties", out.node_range_properties, ReadNodeRangeProperty);
}

// A node's bookkeeping: the parent's numNodes and mainNode, which nodeDetails does not carry.
void ReadNodeCounts(JsonObjectReader& in, NodeProperties& out) {
  in.Read("numNodes", out.num_nodes);
  in.Read("mainNode", out.main_node);
}

// ---- JobDefinition ----

void ReadJobDefinition(JsonObjectReader& in, JobDefinition& out) {
  in.Require("jobDefinitionName");
  in.Require("revision");
  in.Read("jobDefinitionName", out.name);
  in.Read("jobDefinitionArn", out.arn);
  in.Read("revision", out.revision);
  in.Read("status", out.status);
  in.Read("type", out.type);
  in.Read("parameters", out.parameters);
  in.Read("schedulingPriority", out.scheduling_priority);
  in.ReadObject("retryStrategy", out.retry_strategy, ReadRetryStrategy);
  in.ReadObject("containerProperties", out.container_properties, ReadContainerProperties);
  in.ReadObject("timeout", out.timeout, ReadJobTimeout);
  in.ReadRaw("nodeProperties", out.node_properties);
  in.Read("tags", out.tags);
  in.Read("propagateTags", out.propagate_tags);
  in.Read("platformCapabilities", out.platform_capabilities);
}

void ReadCreatedAt(JsonObjectReader& in, EpochMillis& created_at) {
  in.Read("createdAt", created_at);
}

// ---- Job ----

// AttemptContainerDetail's members; a job's container carries them too, for its latest attempt.
void ReadAttemptContainer(JsonObjectReader& in, AttemptContainer& out) {
  in.Read("containerInstanceArn", out.container_instance_arn);
  in.Read("taskArn", out.task_arn);
  in.Read("exitCode", out.exit_code);
  in.Read("reason", out.reason);
  in.Read("logStreamName", out.log_stream_name);
}

// Writes the members of `container` over `out`, dropping stray copies of the absent ones.
void WriteAttemptContainer(const AttemptContainer& container, json& out) {
  out = PassthroughWithout(
      out, {"containerInstanceArn", "taskArn", "exitCode", "reason", "logStreamName"});
  SetIfNotEmpty(out, "containerInstanceArn", container.container_instance_arn);
  SetIfNotEmpty(out, "taskArn", container.task_arn);
  SetIfPresent(out, "exitCode", container.exit_code);
  SetIfNotEmpty(out, "reason", container.reason);
  SetIfNotEmpty(out, "logStreamName", container.log_stream_name);
}

void ReadAttemptDetail(JsonObjectReader& in, AttemptDetail& out) {
  in.ReadObject("container", out.container, ReadAttemptContainer);
  in.Read("startedAt", out.started_at);
  in.Read("stoppedAt", out.stopped_at);
  in.Read("statusReason", out.status_reason);
}

json ToJson(const AttemptDetail& attempt) {
  json container = json::object();
  WriteAttemptContainer(attempt.container, container);
  json out = {
      {"container", std::move(container)},
      {"startedAt", attempt.started_at},
      {"stoppedAt", attempt.stopped_at},
  };
  SetIfNotEmpty(out, "statusReason", attempt.status_reason);
  return out;
}

void ReadJobContainer(JsonObjectReader& in, JobContainer& out) {
  ContainerProperties properties;
  ReadContainerTypedMembers(in, properties);
  AttemptContainer current;
  ReadAttemptContainer(in, current);
  // Nothing stored for a job that never started an attempt.
  if (!(current == AttemptContainer{})) out.current = std::move(current);
  properties.passthrough = in.UnreadMembers();
  out.properties = std::move(properties);
}

json ToJson(const JobContainer& container) {
  json out = ToJson(*container.properties);
  WriteAttemptContainer(*container.current, out);
  return out;
}

void ReadJobDependency(JsonObjectReader& in, JobDependency& out) {
  in.Read("jobId", out.job_id);
  in.Read("type", out.type);
}

void ReadJobStatus(JsonObjectReader& in, JobStatus& out) {
  std::string text;
  in.Read("status", text);
  if (!in.ok()) return;
  std::optional<JobStatus> status = ParseJobStatus(text);
  if (!status) return in.Fail("status", "'" + text + "' is not a job status");
  out = *status;
}

void ReadNodeDetails(JsonObjectReader& in, Job& out) { in.Read("nodeIndex", out.node_index); }

void ReadArrayProperties(JsonObjectReader& in, Job& out) {
  in.Read("size", out.array_size);
  in.Read("index", out.array_index);
}

json ArrayPropertiesOf(const Job& job) {
  json properties = json::object();
  SetIfPresent(properties, "size", job.array_size);
  SetIfPresent(properties, "index", job.array_index);
  return properties;
}

void ReadJobDetail(JsonObjectReader& in, Job& out) {
  in.Require("jobId");
  in.Require("status");
  // jobArn is not read: it is derived from the job queue's ARN (Job::JobArn).
  in.Read("jobName", out.job_name);
  in.Read("jobId", out.job_id);
  std::string job_queue;
  std::string job_definition;
  in.Read("jobQueue", job_queue);
  in.Read("jobDefinition", job_definition);
  out.job_queue = std::move(job_queue);
  out.job_definition = std::move(job_definition);
  ReadJobStatus(in, out.status);
  in.Read("statusReason", out.status_reason);
  in.Read("createdAt", out.created_at);
  in.Read("startedAt", out.started_at);
  in.Read("stoppedAt", out.stopped_at);
  in.Read("shareIdentifier", out.share_identifier);
  in.Read("schedulingPriority", out.scheduling_priority);
  in.Read("parameters", out.parameters);
  in.ReadObject("container", out.container, ReadJobContainer);
  in.ReadObject("retryStrategy", out.retry_strategy, ReadRetryStrategy);
  in.ReadObject("timeout", out.timeout, ReadJobTimeout);
  in.ReadObjectList("dependsOn", out.depends_on, ReadJobDependency);
  in.Read("tags", out.tags);
  in.Read("propagateTags", out.propagate_tags);
  in.Read("platformCapabilities", out.platform_capabilities);
  in.ReadObjectList("attempts", out.attempts, ReadAttemptDetail);
  in.ReadObject("arrayProperties", out, ReadArrayProperties);
  in.ReadObject("nodeProperties", out.node_properties, ReadNodeProperties);
  in.ReadObject("nodeDetails", out, ReadNodeDetails);
}

// ---- Job bookkeeping (records only) ----

json ToJson(const Resources& resources) {
  return {
      {"millivcpus", resources.millivcpus},
      {"memoryMib", resources.memory_mib},
      {"gpus", resources.gpus},
  };
}

void ReadResources(JsonObjectReader& in, Resources& out) {
  in.Read("millivcpus", out.millivcpus);
  in.Read("memoryMib", out.memory_mib);
  in.Read("gpus", out.gpus);
}

json ToJson(const AttemptPlacement& placement) {
  return {
      {"computeEnvironmentArn", placement.compute_environment_arn},
      {"instanceId", placement.instance_id},
      {"reserved", ToJson(placement.reserved)},
      {"pid", placement.pid},
      {"processStartTicks", placement.process_start_ticks},
      {"startedAt", placement.started_at},
      {"placedAt", placement.placed_at},
      {"terminationRequested", placement.termination_requested},
      {"terminationReason", placement.termination_reason},
      {"interruptionReason", placement.interruption_reason},
      {"gpuIds", placement.gpu_ids},
      {"remote", placement.remote},
  };
}

void ReadAttemptPlacement(JsonObjectReader& in, AttemptPlacement& out) {
  in.Read("computeEnvironmentArn", out.compute_environment_arn);
  in.Read("instanceId", out.instance_id);
  in.ReadObject("reserved", out.reserved, ReadResources);
  in.Read("pid", out.pid);
  in.Read("processStartTicks", out.process_start_ticks);
  in.Read("startedAt", out.started_at);
  in.Read("placedAt", out.placed_at);
  in.Read("terminationRequested", out.termination_requested);
  in.Read("terminationReason", out.termination_reason);
  in.Read("interruptionReason", out.interruption_reason);
  json gpu_ids;
  in.ReadRaw("gpuIds", gpu_ids);
  if (gpu_ids.is_array()) {
    for (const json& gpu : gpu_ids) {
      if (gpu.is_number_integer()) out.gpu_ids.push_back(gpu.get<int>());
    }
  }
  in.Read("remote", out.remote);
}

json ToJson(const AttemptCost& cost) {
  return {
      {"instanceId", cost.instance_id},
      {"instanceType", cost.instance_type},
      {"computeEnvironmentArn", cost.compute_environment_arn},
      {"lifecycle", LifecycleName(cost.lifecycle)},
      {"outcome", OutcomeName(cost.outcome)},
      {"from", cost.from},
      {"to", cost.to},
      {"reserved", ToJson(cost.reserved)},
      {"splitRatio", cost.split_ratio},
      {"usd", cost.usd},
      {"onDemandUsd", cost.on_demand_usd},
  };
}

void ReadAttemptCost(JsonObjectReader& in, AttemptCost& out) {
  in.Read("instanceId", out.instance_id);
  in.Read("instanceType", out.instance_type);
  in.Read("computeEnvironmentArn", out.compute_environment_arn);
  std::string lifecycle;
  in.Read("lifecycle", lifecycle);
  out.lifecycle = LifecycleNamed(lifecycle).value_or(CapacityLifecycle::kUnpriced);
  std::string outcome;
  in.Read("outcome", outcome);
  out.outcome = OutcomeNamed(outcome).value_or(AttemptEnding::kFailed);
  in.Read("from", out.from);
  in.Read("to", out.to);
  in.ReadObject("reserved", out.reserved, ReadResources);
  std::optional<double> number;
  in.Read("splitRatio", number);
  out.split_ratio = number.value_or(0);
  number.reset();
  in.Read("usd", number);
  out.usd = number.value_or(0);
  number.reset();
  in.Read("onDemandUsd", number);
  out.on_demand_usd = number.value_or(0);
}

void ReadJobBookkeeping(JsonObjectReader& in, Job& out) {
  // One entry per attempt, in the attempts' order (records before costs were kept have none).
  std::vector<AttemptCost> costs;
  in.ReadObjectList("attemptCosts", costs, ReadAttemptCost);
  for (size_t i = 0; i < costs.size() && i < out.attempts.size(); ++i) {
    out.attempts[i].cost = std::move(costs[i]);
  }
  in.ReadObject("required", out.required, ReadResources);
  in.Read("runnableSince", out.runnable_since);
  std::optional<AttemptPlacement> placement;
  in.ReadObject("placement", placement, ReadAttemptPlacement);
  if (placement) out.placement = std::move(*placement);
  in.Read("arrayNextIndex", out.array_next_index);
  in.Read("arrayReleased", out.array_released);
  in.Read("arrayStopped", out.array_stopped);
  in.Read("arrayStopReason", out.array_stop_reason);
  in.ReadObject("node", out.node_properties, ReadNodeCounts);
}

void ReadJobRecord(JsonObjectReader& in, Job& out) {
  ReadJobDetail(in, out);
  in.ReadObject(kBookkeepingMember, out, ReadJobBookkeeping);
}

}  // namespace

json ToJson(const ContainerProperties& container) {
  json out = PassthroughWithout(container.passthrough,
                                {"image", "command", "environment", "resourceRequirements", "vcpus",
                                 "memory", "instanceType"});
  SetIfNotEmpty(out, "image", container.image);
  SetIfNotEmpty(out, "command", container.command);
  // AWS shows the environment even when it is empty.
  out["environment"] = json::array();
  for (const KeyValuePair& variable : container.environment) {
    out["environment"].push_back({{"name", variable.name}, {"value", variable.value}});
  }
  if (!container.resource_requirements.empty()) {
    json& requirements = out["resourceRequirements"] = json::array();
    for (const ResourceRequirement& requirement : container.resource_requirements) {
      requirements.push_back({{"type", requirement.type}, {"value", requirement.value}});
    }
  }
  SetIfPresent(out, "vcpus", container.vcpus);
  SetIfPresent(out, "memory", container.memory);
  SetIfNotEmpty(out, "instanceType", container.instance_type);
  return out;
}

Result<ContainerProperties> ContainerPropertiesFromJson(const json& document) {
  return ParseObject<ContainerProperties>(document, "containerProperties", ReadContainerProperties);
}

json ToJson(const RetryStrategy& strategy) {
  json out = json::object();
  SetIfPresent(out, "attempts", strategy.attempts);
  if (!strategy.evaluate_on_exit.empty()) {
    json& rules = out["evaluateOnExit"] = json::array();
    for (const EvaluateOnExit& rule : strategy.evaluate_on_exit) rules.push_back(ToJson(rule));
  }
  return out;
}

json ToJson(const NodeProperties& properties) {
  json ranges = json::array();
  for (const NodeRangeProperty& range : properties.node_range_properties) {
    json entry = PassthroughWithout(range.passthrough, {"targetNodes", "container"});
    entry["targetNodes"] = range.target_nodes;
    if (range.container) entry["container"] = ToJson(*range.container);
    ranges.push_back(std::move(entry));
  }
  return {
      {"numNodes", properties.num_nodes},
      {"mainNode", properties.main_node},
      {"nodeRangeProperties", std::move(ranges)},
  };
}

Result<NodeProperties> NodePropertiesFromJson(const json& document) {
  return ParseObject<NodeProperties>(document, "nodeProperties", ReadNodeProperties);
}

Result<RetryStrategy> RetryStrategyFromJson(const json& document) {
  return ParseObject<RetryStrategy>(document, "retryStrategy", ReadRetryStrategy);
}

json ToJson(const JobTimeout& timeout) {
  json out = json::object();
  SetIfPresent(out, "attemptDurationSeconds", timeout.attempt_duration_seconds);
  return out;
}

Result<JobTimeout> JobTimeoutFromJson(const json& document) {
  return ParseObject<JobTimeout>(document, "timeout", ReadJobTimeout);
}

json ToJson(const JobDefinition& definition) {
  json out = {
      {"jobDefinitionName", definition.name}, {"jobDefinitionArn", definition.arn},
      {"revision", definition.revision},      {"type", definition.type},
      {"parameters", definition.parameters},  // AWS shows {} when there are none
      {"containerOrchestrationType", "ECS"},
  };
  SetIfNotEmpty(out, "status", definition.status);
  SetIfPresent(out, "schedulingPriority", definition.scheduling_priority);
  if (definition.retry_strategy) out["retryStrategy"] = ToJson(*definition.retry_strategy);
  if (definition.container_properties) {
    out["containerProperties"] = ToJson(*definition.container_properties);
  }
  if (definition.timeout) out["timeout"] = ToJson(*definition.timeout);
  if (!definition.node_properties.is_null()) out["nodeProperties"] = definition.node_properties;
  SetIfNotEmpty(out, "tags", definition.tags);
  SetIfPresent(out, "propagateTags", definition.propagate_tags);
  SetIfNotEmpty(out, "platformCapabilities", definition.platform_capabilities);
  return out;
}

json ToRecord(const JobDefinition& definition) {
  json record = ToJson(definition);
  record[kBookkeepingMember] = {{"createdAt", definition.created_at}};
  return record;
}

Result<JobDefinition> JobDefinitionFromRecord(const json& record) {
  return ParseObject<JobDefinition>(record, "", [](JsonObjectReader& in, JobDefinition& out) {
    ReadJobDefinition(in, out);
    in.ReadObject(kBookkeepingMember, out.created_at, ReadCreatedAt);
  });
}

namespace {

// The shape AWS gives service jobs (ServiceJobPreemptionSummary), on a job with an attempt that
// ended by an interruption: how many did, and the latest few.
constexpr size_t kRecentPreemptedAttempts = 10;

json PreemptionSummaryOf(const Job& job) {
  json recent = json::array();
  int count = 0;
  for (const AttemptDetail& attempt : job.attempts) {
    if (attempt.cost.outcome != AttemptEnding::kInterrupted) continue;
    ++count;
    recent.push_back({{"serviceResourceId", attempt.cost.instance_id},
                      {"startedAt", attempt.started_at},
                      {"stoppedAt", attempt.stopped_at},
                      {"statusReason", attempt.status_reason}});
  }
  if (count == 0) return nullptr;
  if (recent.size() > kRecentPreemptedAttempts) {
    recent.erase(recent.begin(), recent.end() - kRecentPreemptedAttempts);
  }
  return {{"preemptedAttemptCount", count}, {"recentPreemptedAttempts", std::move(recent)}};
}

}  // namespace

json ToJson(const Job& job) {
  json attempts = json::array();
  for (const AttemptDetail& attempt : job.attempts) attempts.push_back(ToJson(attempt));
  json depends_on = json::array();
  for (const JobDependency& dependency : job.depends_on) {
    json entry = json::object();
    SetIfNotEmpty(entry, "jobId", dependency.job_id);  // SEQUENTIAL array dependencies have none
    SetIfNotEmpty(entry, "type", dependency.type);
    depends_on.push_back(std::move(entry));
  }
  // attempts, dependsOn and parameters appear even when empty, as on AWS.
  json out = {
      {"jobArn", job.JobArn()},
      {"jobName", job.job_name},
      {"jobId", job.job_id},
      {"jobQueue", job.job_queue.str()},
      {"jobDefinition", job.job_definition.str()},
      {"status", ToString(job.status)},
      {"createdAt", job.created_at},
      {"parameters", job.parameters},
      {"attempts", std::move(attempts)},
      {"dependsOn", std::move(depends_on)},
  };
  if (job.IsMultiNodeParent()) {
    // The nodes run the containers (nodeProperties); the parent shows the main node's exit.
    json container = json::object();
    WriteAttemptContainer(*job.container.current, container);
    if (!container.empty()) out["container"] = std::move(container);
    out["nodeProperties"] = ToJson(*job.node_properties);
  } else {
    out["container"] = ToJson(job.container);
  }
  if (job.IsMultiNodeNode()) {
    out["nodeDetails"] = {{"nodeIndex", *job.node_index}, {"isMainNode", job.IsMainNode()}};
  }
  SetIfNotEmpty(out, "statusReason", job.status_reason);
  SetIfPresent(out, "startedAt", job.started_at);
  SetIfPresent(out, "stoppedAt", job.stopped_at);
  SetIfNotEmpty(out, "shareIdentifier", job.share_identifier);
  SetIfPresent(out, "schedulingPriority", job.scheduling_priority);
  if (job.retry_strategy) out["retryStrategy"] = ToJson(*job.retry_strategy);
  if (job.timeout) out["timeout"] = ToJson(*job.timeout);
  SetIfNotEmpty(out, "tags", job.tags);
  SetIfPresent(out, "propagateTags", job.propagate_tags);
  SetIfNotEmpty(out, "platformCapabilities", job.platform_capabilities);
  if (job.array_size) out["arrayProperties"] = ArrayPropertiesOf(job);
  json preemption = PreemptionSummaryOf(job);
  if (!preemption.is_null()) out["preemptionSummary"] = std::move(preemption);
  return out;
}

json ToJobSummary(const Job& job) {
  json out = {
      {"jobArn", job.JobArn()},         {"jobId", job.job_id},
      {"jobName", job.job_name},        {"createdAt", job.created_at},
      {"status", ToString(job.status)}, {"jobDefinition", job.job_definition.str()},
  };
  SetIfNotEmpty(out, "statusReason", job.status_reason);
  SetIfPresent(out, "startedAt", job.started_at);
  SetIfPresent(out, "stoppedAt", job.stopped_at);
  json container = json::object();
  SetIfPresent(container, "exitCode", job.container.current->exit_code);
  SetIfNotEmpty(container, "reason", job.container.current->reason);
  if (!container.empty()) out["container"] = std::move(container);
  if (job.array_size) out["arrayProperties"] = ArrayPropertiesOf(job);
  if (job.node_properties) {
    json nodes = {{"numNodes", job.node_properties->num_nodes}};
    if (job.IsMultiNodeNode()) {
      nodes["nodeIndex"] = *job.node_index;
      nodes["isMainNode"] = job.IsMainNode();
    }
    out["nodeProperties"] = std::move(nodes);
  }
  return out;
}

json ToRecord(const Job& job) {
  json bookkeeping = {{"required", ToJson(job.required)}};
  if (job.runnable_since != 0) bookkeeping["runnableSince"] = job.runnable_since;
  if (job.placement) bookkeeping["placement"] = ToJson(*job.placement);
  if (!job.attempts.empty()) {
    json costs = json::array();
    for (const AttemptDetail& attempt : job.attempts) costs.push_back(ToJson(attempt.cost));
    bookkeeping["attemptCosts"] = std::move(costs);
  }
  if (job.IsArrayParent()) {
    bookkeeping["arrayNextIndex"] = job.array_next_index;
    bookkeeping["arrayReleased"] = job.array_released;
    bookkeeping["arrayStopped"] = job.array_stopped;
    bookkeeping["arrayStopReason"] = job.array_stop_reason;
  }
  if (job.IsMultiNodeNode() && job.node_properties) {
    bookkeeping["node"] = {{"numNodes", job.node_properties->num_nodes},
                           {"mainNode", job.node_properties->main_node}};
  }
  json record = ToJson(job);
  record[kBookkeepingMember] = std::move(bookkeeping);
  return record;
}

Result<Job> JobFromRecord(const json& record) {
  return ParseObject<Job>(record, "", ReadJobRecord);
}

Result<Job> JobFromRecord(json&& record) {
  return ParseObject<Job>(std::move(record), "", ReadJobRecord);
}

}  // namespace gleaner
