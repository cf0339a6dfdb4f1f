// CreateJobQueue, UpdateJobQueue, DescribeJobQueues and DeleteJobQueue.

#include <algorithm>
#include <set>

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/json_fields.h"

namespace gleaner {
namespace {

using fields::ObjectFields;
using nlohmann::json;

constexpr int kMinPriority = 0;
constexpr int kMaxPriority = 1000;
// AWS's limit, which the wire format does not force on gleaner but its scheduling assumes.
constexpr size_t kMaxComputeEnvironments = 3;
constexpr size_t kMaxDescribeNames = 100;

Status ReadOrderEntry(const json& value, const std::string& path, ComputeEnvironmentOrder* out) {
  Result<ObjectFields> entry = ObjectFields::Open(value, path);
  if (!entry.ok()) return entry.status();
  GLEANER_RETURN_IF_ERROR(entry->Required("order", &out->order));
  return fields::ReadIdentifier(*entry, "computeEnvironment", &out->compute_environment);
}

Status CheckDistinct(const std::string& path, const std::vector<ComputeEnvironmentOrder>& order) {
  std::set<int> orders;
  std::set<std::string> environments;
  for (size_t index = 0; index < order.size(); ++index) {
    const ComputeEnvironmentOrder& entry = order[index];
    std::string entry_path = fields::IndexPath(path, index);
    if (!orders.insert(entry.order).second) {
      return fields::Invalid(fields::MemberPath(entry_path, "order"), std::to_string(entry.order),
                             "each order may appear only once");
    }
    if (!environments.insert(entry.compute_environment).second) {
      return fields::Invalid(fields::MemberPath(entry_path, "computeEnvironment"),
                             entry.compute_environment,
                             "each compute environment may appear only once");
    }
  }
  return Status::Ok();
}

// computeEnvironmentOrder: 1-3 entries with distinct orders and compute environments, returned
// sorted by order (the order BatchState tries them in). Names and ARNs of one environment are
// told apart by BatchState, which resolves them.
Status ReadComputeEnvironmentOrder(const ObjectFields& body,
                                   std::vector<ComputeEnvironmentOrder>* out) {
  const json* entries = nullptr;
  GLEANER_RETURN_IF_ERROR(body.OptionalArray("computeEnvironmentOrder", &entries));
  if (entries == nullptr) return fields::Missing(body.PathOf("computeEnvironmentOrder"));
  std::string path = body.PathOf("computeEnvironmentOrder");
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(path, entries->size(), 1, kMaxComputeEnvironments));
  std::vector<ComputeEnvironmentOrder> order;
  GLEANER_RETURN_IF_ERROR(fields::ReadEach(*entries, path, &order, ReadOrderEntry));
  GLEANER_RETURN_IF_ERROR(CheckDistinct(path, order));
  std::stable_sort(order.begin(), order.end(),
                   [](const ComputeEnvironmentOrder& a, const ComputeEnvironmentOrder& b) {
                     return a.order < b.order;
                   });
  *out = std::move(order);
  return Status::Ok();
}

// jobStateTimeLimitActions (newer than Debian's botocore, sent by newer SDKs): at most 5 entries
// of {reason (1-1024 chars), state RUNNABLE, maxTimeSeconds 600-86400, action CANCEL}.
constexpr size_t kMaxTimeLimitActions = 5;

Status ReadTimeLimitAction(const json& value, const std::string& path,
                           JobStateTimeLimitAction* out) {
  Result<ObjectFields> entry = ObjectFields::Open(value, path);
  if (!entry.ok()) return entry.status();
  GLEANER_RETURN_IF_ERROR(entry->Required("reason", &out->reason));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckCount(entry->PathOf("reason") + " length", out->reason.size(), 1, 1024));
  GLEANER_RETURN_IF_ERROR(entry->Required("state", &out->state));
  GLEANER_RETURN_IF_ERROR(fields::CheckEnum(entry->PathOf("state"), out->state, {"RUNNABLE"}));
  GLEANER_RETURN_IF_ERROR(entry->Required("maxTimeSeconds", &out->max_time_seconds));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckRange(entry->PathOf("maxTimeSeconds"), out->max_time_seconds, 600, 86400));
  GLEANER_RETURN_IF_ERROR(entry->Required("action", &out->action));
  return fields::CheckEnum(entry->PathOf("action"), out->action, {"CANCEL"});
}

Status ReadTimeLimitActions(const ObjectFields& body,
                            std::optional<std::vector<JobStateTimeLimitAction>>* out) {
  const json* entries = nullptr;
  GLEANER_RETURN_IF_ERROR(body.OptionalArray("jobStateTimeLimitActions", &entries));
  if (entries == nullptr) return Status::Ok();
  std::string path = body.PathOf("jobStateTimeLimitActions");
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(path, entries->size(), 0, kMaxTimeLimitActions));
  return fields::ReadEach(*entries, path, &out->emplace(), ReadTimeLimitAction);
}

Status CheckPriority(const ObjectFields& body, int priority) {
  return fields::CheckRange(body.PathOf("priority"), priority, kMinPriority, kMaxPriority);
}

Status ReadCreateJobQueue(const ObjectFields& body, JobQueue* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("jobQueueName", &out->name));
  GLEANER_RETURN_IF_ERROR(fields::CheckResourceName(body.PathOf("jobQueueName"), out->name));
  std::optional<ResourceState> state;
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceState(body, &state));
  out->state = state.value_or(ResourceState::kEnabled);
  GLEANER_RETURN_IF_ERROR(
      fields::ReadOptionalIdentifier(body, "schedulingPolicyArn", &out->scheduling_policy_arn));
  GLEANER_RETURN_IF_ERROR(body.Required("priority", &out->priority));
  GLEANER_RETURN_IF_ERROR(CheckPriority(body, out->priority));
  GLEANER_RETURN_IF_ERROR(ReadComputeEnvironmentOrder(body, &out->compute_environment_order));
  std::optional<std::vector<JobStateTimeLimitAction>> actions;
  GLEANER_RETURN_IF_ERROR(ReadTimeLimitActions(body, &actions));
  if (actions) out->job_state_time_limit_actions = std::move(*actions);
  return fields::ReadTags(body, &out->tags);
}

Status ReadUpdateJobQueue(const ObjectFields& body, UpdateJobQueueRequest* out) {
  GLEANER_RETURN_IF_ERROR(fields::ReadIdentifier(body, "jobQueue", &out->job_queue));
  GLEANER_RETURN_IF_ERROR(fields::ReadResourceState(body, &out->state));
  GLEANER_RETURN_IF_ERROR(body.Optional("priority", &out->priority));
  if (out->priority) GLEANER_RETURN_IF_ERROR(CheckPriority(body, *out->priority));
  if (body.Has("schedulingPolicyArn")) {
    GLEANER_RETURN_IF_ERROR(
        fields::ReadIdentifier(body, "schedulingPolicyArn", &out->scheduling_policy_arn.emplace()));
  }
  if (body.Has("computeEnvironmentOrder")) {
    GLEANER_RETURN_IF_ERROR(
        ReadComputeEnvironmentOrder(body, &out->compute_environment_order.emplace()));
  }
  return ReadTimeLimitActions(body, &out->job_state_time_limit_actions);
}

Status ReadDescribeJobQueues(const ObjectFields& body, DescribeJobQueuesRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.ReadIfPresent("jobQueues", &out->job_queues));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckCount("jobQueues", out->job_queues.size(), 0, kMaxDescribeNames));
  return fields::ReadPage(body, &out->page);
}

Status ReadDeleteJobQueue(const ObjectFields& body, DeleteJobQueueRequest* out) {
  return fields::ReadIdentifier(body, "jobQueue", &out->job_queue);
}

}  // namespace

Result<CreateJobQueueRequest> ParseCreateJobQueue(const json& body) {
  return fields::ParseBody<CreateJobQueueRequest>(body, ReadCreateJobQueue);
}

Result<UpdateJobQueueRequest> ParseUpdateJobQueue(const json& body) {
  return fields::ParseBody<UpdateJobQueueRequest>(body, ReadUpdateJobQueue);
}

Result<DescribeJobQueuesRequest> ParseDescribeJobQueues(const json& body) {
  return fields::ParseBody<DescribeJobQueuesRequest>(body, ReadDescribeJobQueues);
}

Result<DeleteJobQueueRequest> ParseDeleteJobQueue(const json& body) {
  return fields::ParseBody<DeleteJobQueueRequest>(body, ReadDeleteJobQueue);
}

}  // namespace gleaner
