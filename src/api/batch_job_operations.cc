// Jobs and tags over the wire.
#include "api/batch_operation_support.h"
#include "api/batch_operations.h"
#include "api/requests/batch_request_parser.h"
#include "model/json_codec.h"
#include "scheduler/batch_state.h"

namespace gleaner {

using nlohmann::json;

namespace {

// A RUNNABLE job's statusReason says why it is not running now; computed when asked.
json DescribeJob(const BatchState& state, const Job& job) {
  json detail = ToJson(job);
  if (job.status == JobStatus::kRunnable && job.status_reason.empty()) {
    detail["statusReason"] = state.ExplainWaiting(job);
  }
  if (job.IsArrayParent()) {
    detail["arrayProperties"]["statusSummary"] = state.ArrayStatusSummary(job);
  }
  return detail;
}

}  // namespace

void SubmitJob(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseSubmitJob,
                  [](BatchState& state, SubmitJobRequest& req) -> Result<json> {
                    auto job = state.SubmitJob(req);
                    if (!job.ok()) return job.status();
                    return json{{"jobArn", (*job)->JobArn()},
                                {"jobName", (*job)->job_name},
                                {"jobId", (*job)->job_id}};
                  });
}

void DescribeJobs(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseDescribeJobs,
                  [](BatchState& state, DescribeJobsRequest& req) -> Result<json> {
                    json response{{"jobs", json::array()}};
                    for (const std::string& id : req.jobs) {
                      if (const Job* job = state.FindJob(id)) {
                        response["jobs"].push_back(DescribeJob(state, *job));
                      } else if (auto child = state.VirtualArrayChild(id)) {
                        response["jobs"].push_back(DescribeJob(state, *child));
                      }
                    }
                    return response;
                  });
}

void ListJobs(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseListJobs,
                  [](BatchState& state, ListJobsRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(DecodePage(req.page));
                    std::string next_token;
                    json response{{"jobSummaryList", json::array()}};
                    if (!req.array_job_id.empty()) {
                      auto children = state.ListArrayChildren(req, &next_token);
                      if (!children.ok()) return children.status();
                      for (const Job& child : *children) {
                        response["jobSummaryList"].push_back(ToJobSummary(child));
                      }
                      AddNextToken(response, next_token);
                      return response;
                    }
                    auto found = state.ListJobs(req, &next_token);
                    if (!found.ok()) return found.status();
                    for (const Job* job : *found) {
                      json summary = ToJobSummary(*job);
                      if (job->status == JobStatus::kRunnable && job->status_reason.empty()) {
                        summary["statusReason"] = state.ExplainWaiting(*job);
                      }
                      response["jobSummaryList"].push_back(std::move(summary));
                    }
                    AddNextToken(response, next_token);
                    return response;
                  });
}

void CancelJob(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseCancelJob,
                  [](BatchState& state, StopJobRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.CancelJob(req));
                    return json::object();
                  });
}

void TerminateJob(const json& body, BatchExecutor& executor, BatchReply reply) {
  ParseAndExecute(body, executor, std::move(reply), ParseTerminateJob,
                  [](BatchState& state, StopJobRequest& req) -> Result<json> {
                    GLEANER_RETURN_IF_ERROR(state.TerminateJob(req));
                    return json::object();
                  });
}

void ListTagsForResource(const std::string& arn, BatchExecutor& executor, BatchReply reply) {
  Status valid = CheckResourceArn(arn);
  if (!valid.ok()) {
    reply(valid);
    return;
  }
  executor.Execute(
      [arn](BatchState& state) -> Result<json> {
        auto tags = state.ListTags(arn);
        if (!tags.ok()) return tags.status();
        return json{{"tags", *tags}};
      },
      std::move(reply));
}

void TagResource(const std::string& arn, const json& body, BatchExecutor& executor,
                 BatchReply reply) {
  Status valid = CheckResourceArn(arn);
  auto tags = ParseTags(body);
  if (!valid.ok() || !tags.ok()) {
    reply(valid.ok() ? tags.status() : valid);
    return;
  }
  executor.Execute(
      [arn, tags = std::move(tags).value()](BatchState& state) -> Result<json> {
        GLEANER_RETURN_IF_ERROR(state.TagResource(arn, tags));
        return json::object();
      },
      std::move(reply));
}

void UntagResource(const std::string& arn, const std::vector<std::string>& keys,
                   BatchExecutor& executor, BatchReply reply) {
  Status valid = CheckResourceArn(arn);
  if (valid.ok()) valid = CheckTagKeys(keys);
  if (!valid.ok()) {
    reply(valid);
    return;
  }
  executor.Execute(
      [arn, keys](BatchState& state) -> Result<json> {
        GLEANER_RETURN_IF_ERROR(state.UntagResource(arn, keys));
        return json::object();
      },
      std::move(reply));
}

}  // namespace gleaner
