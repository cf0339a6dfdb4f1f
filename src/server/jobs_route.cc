#include "server/jobs_route.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <queue>

#include "api/aws_errors.h"
#include "common/ascii.h"
#include "common/glob.h"
#include "model/job_status.h"
#include "model/json_codec.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

struct JobsQuery {
  std::vector<std::string> queues;  // names or ARNs; empty: all
  std::vector<JobStatus> statuses;  // empty: all
  std::string name;
  size_t max_results = 100;
  std::string next_token;
};

Result<JobsQuery> ParseJobsQuery(const std::string& query_string) {
  JobsQuery query;
  for (const auto& [key, values] : ParseQuery(query_string)) {
    for (const std::string& value : values) {
      if (key == "jobQueue") {
        query.queues.push_back(value);
      } else if (key == "jobStatus") {
        std::string_view rest = value;
        while (!rest.empty()) {
          size_t comma = rest.find(',');
          std::string_view one = rest.substr(0, comma);
          rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
          std::optional<JobStatus> status = ParseJobStatus(one);
          if (!status) {
            return Status::InvalidArgument(
                "jobStatus \"" + std::string(one) +
                "\" is not one of SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, "
                "FAILED");
          }
          query.statuses.push_back(*status);
        }
      } else if (key == "jobName") {
        query.name = value;
      } else if (key == "maxResults") {
        int number = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (error != std::errc() || end != value.data() + value.size() || number < 1 ||
            number > 1000) {
          return Status::InvalidArgument("maxResults must be a whole number from 1 to 1000");
        }
        query.max_results = static_cast<size_t>(number);
      } else if (key == "nextToken") {
        query.next_token = value;
      } else {
        return Status::InvalidArgument(
            "Unknown query parameter \"" + key +
            "\": jobs are listed by jobQueue, jobStatus, jobName, maxResults and nextToken");
      }
    }
  }
  return query;
}

// One status set of one queue, read newest first from below the token.
struct Cursor {
  JobSet::const_reverse_iterator at;
  JobSet::const_reverse_iterator end;
};

struct NewerFirst {
  bool operator()(const Cursor& a, const Cursor& b) const {
    return (*a.at)->job_id < (*b.at)->job_id;
  }
};

bool NameMatches(const std::string& filter, const std::string& lowered_filter,
                 const std::string& name) {
  if (filter.empty()) return true;
  if (filter.find('*') != std::string::npos) return MatchesGlob(filter, name, false);
  return AsciiLowercase(name).find(lowered_filter) != std::string::npos;
}

Result<json> ListPage(BatchState& state, const JobsQuery& query) {
  std::vector<const JobQueue*> queues;
  if (query.queues.empty()) {
    std::string ignored;
    Result<std::vector<const JobQueue*>> all = state.DescribeJobQueues({}, &ignored);
    if (!all.ok()) return all.status();
    queues = *all;
  }
  for (const std::string& name : query.queues) {
    const JobQueue* queue = state.FindJobQueue(name);
    if (queue == nullptr)
      return Status::InvalidArgument("jobQueue \"" + name + "\" does not exist");
    queues.push_back(queue);
  }
  std::priority_queue<Cursor, std::vector<Cursor>, NewerFirst> cursors;
  for (const JobQueue* queue : queues) {
    const std::map<JobStatus, JobSet>* by_status = state.JobsOfQueue(queue->arn);
    if (by_status == nullptr) continue;
    for (const auto& [status, jobs] : *by_status) {
      if (!query.statuses.empty() &&
          std::find(query.statuses.begin(), query.statuses.end(), status) == query.statuses.end()) {
        continue;
      }
      // Newest first, strictly below the token: reverse from the first id not below it.
      auto start = query.next_token.empty() ? jobs.end() : jobs.lower_bound(query.next_token);
      Cursor cursor{JobSet::const_reverse_iterator(start), jobs.rend()};
      if (cursor.at != cursor.end) cursors.push(cursor);
    }
  }
  std::string lowered = AsciiLowercase(query.name);
  json page = json::array();
  size_t examined = 0;
  std::string last_examined;
  bool more = false;
  while (!cursors.empty()) {
    if (page.size() == query.max_results || examined == kMaxJobsExamined) {
      more = true;
      break;
    }
    Cursor cursor = cursors.top();
    cursors.pop();
    const Job& job = **cursor.at;
    if (++cursor.at != cursor.end) cursors.push(cursor);
    ++examined;
    last_examined = job.job_id;
    if (job.IsArrayChild() || job.IsMultiNodeNode()) continue;
    if (!NameMatches(query.name, lowered, job.job_name)) continue;
    json summary = ToJobSummary(job);
    if (job.status == JobStatus::kRunnable && job.status_reason.empty()) {
      summary["statusReason"] = state.ExplainWaiting(job);
    }
    if (job.IsArrayParent()) {
      summary["arrayProperties"]["statusSummary"] = state.ArrayStatusSummary(job);
    }
    summary["jobQueueName"] = ArnResourceName(job.job_queue.str(), "job-queue");
    summary["attempts"] = job.attempts.size() + (job.started_at && !job.stopped_at ? 1 : 0);
    page.push_back(std::move(summary));
  }
  json answer = {{"jobs", std::move(page)}, {"searchedJobs", examined}};
  if (more) answer["nextToken"] = last_examined;
  return answer;
}

}  // namespace

HttpHandler MakeJobsRoute(BatchExecutor& executor) {
  return [&executor](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") {
      return respond(BatchErrorResponse(Status::InvalidArgument("jobs are listed with GET")));
    }
    Result<JobsQuery> query = ParseJobsQuery(request.query);
    if (!query.ok()) return respond(BatchErrorResponse(query.status()));
    executor.Execute(
        [query = std::move(*query)](BatchState& state) { return ListPage(state, query); },
        [respond](Result<json> page) {
          if (!page.ok()) return respond(BatchErrorResponse(page.status()));
          respond(JsonResponse(DumpJson(*page)));
        });
  };
}

}  // namespace gleaner
