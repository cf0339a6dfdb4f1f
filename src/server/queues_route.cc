#include "server/queues_route.h"

#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "model/job_status.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

Result<json> Summarize(BatchState& state) {
  std::string next_token;
  Result<std::vector<const JobQueue*>> queues = state.DescribeJobQueues({}, &next_token);
  if (!queues.ok()) return queues.status();
  std::map<std::string, std::array<size_t, kJobStatusCount>> counts = state.JobCountsByQueue();
  json summaries = json::array();
  for (const JobQueue* queue : *queues) {
    json by_status = json::object();
    auto found = counts.find(queue->arn);
    for (int status = 0; status < kJobStatusCount; ++status) {
      by_status[std::string(ToString(static_cast<JobStatus>(status)))] =
          found == counts.end() ? 0 : found->second[status];
    }
    BatchState::QueueActivity activity = state.ActivityOf(queue->arn);
    json summary = {{"jobQueueName", queue->name},
                    {"jobQueueArn", queue->arn},
                    {"state", queue->state},
                    {"status", queue->status},
                    {"priority", queue->priority},
                    {"jobCounts", by_status},
                    {"reservedVcpus", activity.reserved.millivcpus / 1000.0},
                    {"reservedMemoryMib", activity.reserved.memory_mib}};
    if (const Job* oldest = activity.oldest_runnable) {
      summary["oldestRunnable"] = {{"jobId", oldest->job_id},
                                   {"jobName", oldest->job_name},
                                   {"createdAt", oldest->created_at},
                                   {"runnableSince", oldest->runnable_since}};
    }
    summaries.push_back(std::move(summary));
  }
  return json{{"queues", std::move(summaries)}};
}

}  // namespace

HttpHandler MakeQueuesRoute(BatchExecutor& executor) {
  return [&executor](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") {
      return respond(BatchErrorResponse(Status::InvalidArgument("queues are read with GET")));
    }
    executor.Execute(Summarize, [respond](Result<json> summary) {
      if (!summary.ok()) return respond(BatchErrorResponse(summary.status()));
      respond(JsonResponse(DumpJson(*summary)));
    });
  };
}

}  // namespace gleaner
