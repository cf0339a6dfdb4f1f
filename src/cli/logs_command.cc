#include "cli/logs_command.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/array_logs.h"
#include "cli/gleaner_client.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr auto kFollowPollInterval = std::chrono::milliseconds(500);

int Fail(const Status& status) {
  std::cerr << "gleaner logs: " << status.message() << "\n";
  return 1;
}

Result<json> DescribeJob(GleanerClient& client, const std::string& job_id) {
  Result<json> described = client.Batch("DescribeJobs", {{"jobs", {job_id}}});
  if (!described.ok()) return described.status();
  if ((*described)["jobs"].empty()) {
    return Status::NotFound("job " + job_id + " does not exist");
  }
  return (*described)["jobs"][0];
}

bool HasEnded(const json& job) {
  std::string status = job.value("status", "");
  return status == "SUCCEEDED" || status == "FAILED";
}

// The stream of the wanted attempt, and whether that attempt has ended. FailedPrecondition: the
// job has not started that attempt yet (it may later).
Result<std::pair<std::string, bool>> FindStream(const json& job, int attempt) {
  const json& attempts = job.value("attempts", json::array());
  bool job_done = HasEnded(job);
  if (attempt > 0) {
    if (attempt <= static_cast<int>(attempts.size())) {
      return std::make_pair(attempts[attempt - 1]["container"].value("logStreamName", ""), true);
    }
    if (attempt != static_cast<int>(attempts.size()) + 1 || job_done) {
      return Status::InvalidArgument("job has no attempt " + std::to_string(attempt));
    }
  }
  std::string stream = job.value("container", json::object()).value("logStreamName", "");
  std::string status = job.value("status", "");
  bool running = status == "STARTING" || status == "RUNNING";
  if (stream.empty() || (!running && !job_done)) {
    if (job_done) return Status::InvalidArgument("job ended without output (it never ran)");
    std::string reason = job.value("statusReason", "");
    return Status::FailedPrecondition("job " + job.value("jobId", "") + " is " + status +
                                      (reason.empty() ? "" : " (" + reason + ")") +
                                      " and has no log yet");
  }
  return std::make_pair(stream, !running);
}

// With --follow, waits for the attempt to start (saying so once on stderr); otherwise the job's
// state is the answer.
Result<std::pair<std::string, bool>> WaitForStream(GleanerClient& client,
                                                   const LogsCommandOptions& options) {
  bool told = false;
  while (true) {
    Result<json> job = DescribeJob(client, options.job_id);
    if (!job.ok()) return job.status();
    Result<std::pair<std::string, bool>> stream = FindStream(*job, options.attempt);
    if (stream.ok() || stream.status().code() != StatusCode::kFailedPrecondition ||
        !options.follow) {
      return stream;
    }
    if (!told) {
      std::cerr << "gleaner logs: waiting: " << stream.status().message() << "\n";
      told = true;
    }
    std::this_thread::sleep_for(kFollowPollInterval);
  }
}

}  // namespace

int RunLogsCommand(const LogsCommandOptions& options) {
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail(client.status());
  if (options.attempt == 0) {
    Result<json> job = DescribeJob(*client, options.job_id);
    if (!job.ok()) return Fail(job.status());
    if (job->value("arrayProperties", json::object()).contains("size") &&
        !job->value("arrayProperties", json::object()).contains("index")) {
      return PrintArrayLogs(*client, *job, options.follow, kFollowPollInterval);
    }
  }
  Result<std::pair<std::string, bool>> stream = WaitForStream(*client, options);
  if (!stream.ok()) return Fail(stream.status());
  std::string token;
  bool ended = stream->second;
  while (true) {
    json request{{"logGroupName", "/aws/batch/job"},
                 {"logStreamName", stream->first},
                 {"startFromHead", true}};
    if (!token.empty()) request["nextToken"] = token;
    Result<json> page = client->Target("Logs_20140328.GetLogEvents", request);
    if (!page.ok()) return Fail(page.status());
    for (const json& event : (*page)["events"]) std::cout << event.value("message", "") << "\n";
    std::cout.flush();
    std::string next = (*page).value("nextForwardToken", "");
    bool more = next != token && !(*page)["events"].empty();
    token = next;
    if (more) continue;
    if (!options.follow || ended) return 0;
    std::this_thread::sleep_for(kFollowPollInterval);
    Result<json> refreshed = DescribeJob(*client, options.job_id);
    if (refreshed.ok()) {
      std::string status = refreshed->value("status", "");
      ended = status != "STARTING" && status != "RUNNING";
    }
  }
}

}  // namespace gleaner
