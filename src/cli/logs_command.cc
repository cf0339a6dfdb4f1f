#include "cli/logs_command.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "api/http_client.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr auto kFollowPollInterval = std::chrono::milliseconds(500);

Result<json> CallJson(HttpClient& client, const std::string& path, const json& body,
                      const std::map<std::string, std::string>& headers) {
  auto response = client.Post(path, body.dump(), headers);
  if (!response.ok()) return response.status();
  json parsed = json::parse(response->body, nullptr, false);
  if (response->status != 200) {
    std::string message = parsed.is_object() && parsed.contains("message")
                              ? parsed["message"].get<std::string>()
                              : response->body;
    return Status::InvalidArgument(message);
  }
  if (parsed.is_discarded()) return Status::Internal("gleaner answered with invalid JSON");
  return parsed;
}

Result<json> DescribeJob(HttpClient& client, const std::string& job_id) {
  auto described = CallJson(client, "/v1/describejobs", {{"jobs", {job_id}}},
                            {{"Content-Type", "application/json"}});
  if (!described.ok()) return described.status();
  if ((*described)["jobs"].empty()) {
    return Status::InvalidArgument("job " + job_id + " does not exist");
  }
  return (*described)["jobs"][0];
}

// The stream of the wanted attempt, and whether that attempt has ended.
Result<std::pair<std::string, bool>> FindStream(const json& job, int attempt) {
  const json& attempts = job.value("attempts", json::array());
  bool job_done = job.value("status", "") == "SUCCEEDED" || job.value("status", "") == "FAILED";
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
    return Status::InvalidArgument("job " + job.value("jobId", "") + " is " + status +
                                   " and has no log yet");
  }
  return std::make_pair(stream, !running);
}

}  // namespace

int RunLogsCommand(const LogsCommandOptions& options) {
  auto client = ConnectWithAwsCredentials(options.endpoint);
  if (!client.ok()) {
    std::cerr << "gleaner logs: " << client.status().message() << "\n";
    return 1;
  }
  auto job = DescribeJob(*client, options.job_id);
  if (!job.ok()) {
    std::cerr << "gleaner logs: " << job.status().message() << "\n";
    return 1;
  }
  auto stream = FindStream(*job, options.attempt);
  if (!stream.ok()) {
    std::cerr << "gleaner logs: " << stream.status().message() << "\n";
    return 1;
  }
  const std::map<std::string, std::string> headers{{"Content-Type", "application/x-amz-json-1.1"},
                                                   {"X-Amz-Target", "Logs_20140328.GetLogEvents"}};
  std::string token;
  bool ended = stream->second;
  while (true) {
    json request{{"logGroupName", "/aws/batch/job"},
                 {"logStreamName", stream->first},
                 {"startFromHead", true}};
    if (!token.empty()) request["nextToken"] = token;
    auto page = CallJson(*client, "/", request, headers);
    if (!page.ok()) {
      std::cerr << "gleaner logs: " << page.status().message() << "\n";
      return 1;
    }
    for (const json& event : (*page)["events"]) std::cout << event.value("message", "") << "\n";
    std::cout.flush();
    std::string next = (*page).value("nextForwardToken", "");
    bool more = next != token && !(*page)["events"].empty();
    token = next;
    if (more) continue;
    if (!options.follow || ended) return 0;
    std::this_thread::sleep_for(kFollowPollInterval);
    auto refreshed = DescribeJob(*client, options.job_id);
    if (refreshed.ok()) {
      std::string status = refreshed->value("status", "");
      ended = status != "STARTING" && status != "RUNNING";
    }
  }
}

}  // namespace gleaner
