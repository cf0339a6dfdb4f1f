#include "cli/listing_commands.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "api/sigv4.h"
#include "cli/gleaner_client.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/glob.h"

namespace gleaner {
namespace {

using nlohmann::json;

const std::vector<std::string> kStatuses = {"SUBMITTED", "PENDING",   "RUNNABLE", "STARTING",
                                            "RUNNING",   "SUCCEEDED", "FAILED"};
constexpr size_t kDescribeBatch = 100;  // DescribeJobs takes at most 100 ids
constexpr size_t kReasonWidth = 60;

int Fail(const std::string& command, const Status& status) {
  std::cerr << "gleaner " << command << ": " << status.message() << "\n";
  return 1;
}

std::string QueueName(const std::string& arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

// Every page of ListJobs for one queue (or array) and status.
Status ListAll(GleanerClient& client, json request, std::vector<json>& summaries) {
  for (std::string token;;) {
    if (!token.empty()) request["nextToken"] = token;
    Result<json> page = client.Batch("ListJobs", request);
    if (!page.ok()) return page.status();
    for (json& summary : (*page)["jobSummaryList"]) summaries.push_back(std::move(summary));
    token = page->value("nextToken", "");
    if (token.empty()) return Status::Ok();
  }
}

std::string ArraySummary(const json& job) {
  auto properties = job.find("arrayProperties");
  if (properties == job.end() || !properties->contains("statusSummary")) return "";
  std::string text = " [array " + std::to_string(properties->value("size", 0)) + ":";
  for (const std::string& status : kStatuses) {
    int count = (*properties)["statusSummary"].value(status, 0);
    if (count > 0) text += " " + std::to_string(count) + " " + status;
  }
  return text + "]";
}

// Waiting: how long since it was submitted; running: since it started; ended: how long it ran.
std::string AgeOrDuration(const json& job, EpochMillis now) {
  std::string status = job.value("status", "");
  int64_t created = job.value("createdAt", int64_t{0});
  int64_t started = job.value("startedAt", int64_t{0});
  int64_t stopped = job.value("stoppedAt", int64_t{0});
  if (status == "SUCCEEDED" || status == "FAILED") {
    return started > 0 && stopped >= started ? FormatDuration(stopped - started) : "-";
  }
  if (status == "RUNNING" && started > 0) return FormatDuration(now - started);
  return FormatDuration(now - created);
}

std::string Attempt(const json& job) {
  // A listing's summary counts attempts made; DescribeJobs lists the ended ones.
  const json attempts = job.value("attempts", json::array());
  if (attempts.is_number())
    return attempts.get<int>() == 0 ? "-" : std::to_string(attempts.get<int>());
  size_t ended = attempts.size();
  std::string status = job.value("status", "");
  bool running = status == "STARTING" || status == "RUNNING";
  size_t attempt = ended + (running ? 1 : 0);
  return attempt == 0 ? "-" : std::to_string(attempt);
}

std::string Shortened(std::string text) {
  if (text.size() > kReasonWidth) text = text.substr(0, kReasonWidth - 3) + "...";
  return text;
}

Status CheckOptions(const JobsCommandOptions& options) {
  for (const std::string& status : options.statuses) {
    if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) {
      return Status::InvalidArgument("--status " + status +
                                     " is not a job status (SUBMITTED, PENDING, RUNNABLE, "
                                     "STARTING, RUNNING, SUCCEEDED, FAILED)");
    }
  }
  if (options.output != "table" && options.output != "json") {
    return Status::InvalidArgument("--output must be table or json, not " + options.output);
  }
  return Status::Ok();
}

// Array children: every page of ListJobs for each status (an array holds at most 10,000).
Result<std::vector<json>> FindChildren(GleanerClient& client, const JobsCommandOptions& options) {
  const std::vector<std::string>& statuses =
      options.statuses.empty() ? kStatuses : options.statuses;
  std::vector<json> summaries;
  for (const std::string& status : statuses) {
    json request = {{"arrayJobId", options.array_job_id}, {"jobStatus", status}};
    request["maxResults"] = 1000;
    GLEANER_RETURN_IF_ERROR(ListAll(client, request, summaries));
  }
  return summaries;
}

std::string JobsQuery(const JobsCommandOptions& options, size_t max_results,
                      const std::string& next_token) {
  std::string query = "maxResults=" + std::to_string(max_results);
  for (const std::string& queue : options.queues) query += "&jobQueue=" + UriEncode(queue, false);
  for (const std::string& status : options.statuses) query += "&jobStatus=" + status;
  if (!options.name.empty()) query += "&jobName=" + UriEncode(options.name, false);
  if (!next_token.empty()) query += "&nextToken=" + UriEncode(next_token, false);
  return query;
}

// The newest `max_items` jobs that match, from gleaner's paged listing (each page starts from the
// queues' indexes, so a million jobs cost no more than a thousand), oldest first. `more`: jobs
// beyond them match too.
Result<std::vector<json>> FindJobs(GleanerClient& client, const JobsCommandOptions& options,
                                   bool* more) {
  if (!options.array_job_id.empty()) return FindChildren(client, options);
  std::vector<json> jobs;
  std::string token;
  do {
    size_t wanted = std::min<size_t>(1000, options.max_items - jobs.size());
    Result<json> page = client.Get("/gleaner/v1/jobs?" + JobsQuery(options, wanted, token));
    if (!page.ok()) return page.status();
    for (json& job : (*page)["jobs"]) {
      // The listing matches names by "contains, ignoring case" unless given a '*'; the command's
      // --name is a glob, which matches a subset of those.
      if (options.name.empty() || MatchesGlob(options.name, job.value("jobName", ""), false)) {
        jobs.push_back(std::move(job));
      }
    }
    token = page->value("nextToken", "");
  } while (!token.empty() && jobs.size() < options.max_items);
  *more = !token.empty();
  std::reverse(jobs.begin(), jobs.end());
  return jobs;
}

// DescribeJobs of each job listed (--output json), in the same order.
Result<std::vector<json>> Described(GleanerClient& client, const std::vector<json>& summaries) {
  std::vector<json> jobs;
  for (size_t start = 0; start < summaries.size(); start += kDescribeBatch) {
    size_t end = std::min(summaries.size(), start + kDescribeBatch);
    json batch = json::array();
    for (size_t i = start; i < end; ++i) batch.push_back(summaries[i]["jobId"]);
    Result<json> described = client.Batch("DescribeJobs", {{"jobs", batch}});
    if (!described.ok()) return described.status();
    std::map<std::string, json> by_id;
    for (json& job : (*described)["jobs"]) {
      std::string id = job.value("jobId", "");  // before the move: operator= takes its value
      by_id[id] = std::move(job);
    }
    for (size_t i = start; i < end; ++i) {
      auto found = by_id.find(summaries[i]["jobId"]);
      if (found != by_id.end()) jobs.push_back(std::move(found->second));
    }
  }
  return jobs;
}

}  // namespace

int RunJobsCommand(const JobsCommandOptions& options) {
  if (Status checked = CheckOptions(options); !checked.ok()) return Fail("jobs", checked);
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail("jobs", client.status());
  bool more = false;
  Result<std::vector<json>> jobs = FindJobs(*client, options, &more);
  if (!jobs.ok()) return Fail("jobs", jobs.status());
  if (more) {
    std::cerr << "gleaner jobs: the newest " << jobs->size()
              << " matching jobs; more match (--max-items N shows more)\n";
  }
  if (options.output == "json") {
    Result<std::vector<json>> described = Described(*client, *jobs);
    if (!described.ok()) return Fail("jobs", described.status());
    std::cout << json{{"jobs", *described}}.dump(2) << "\n";
    return 0;
  }
  EpochMillis now = SystemClock().NowMillis();
  Table table({"JOB ID", "NAME", "QUEUE", "STATUS", "ATTEMPT", "AGE", "REASON"});
  for (const json& job : *jobs) {
    std::string status = job.value("status", "");
    table.AddRow({job.value("jobId", ""), job.value("jobName", "") + ArraySummary(job),
                  job.value("jobQueueName", QueueName(job.value("jobQueue", ""))), status,
                  Attempt(job), AgeOrDuration(job, now), Shortened(job.value("statusReason", ""))},
                 status);
  }
  std::cout << table.Render(StdoutWantsColour());
  return 0;
}

int RunQueuesCommand(const QueuesCommandOptions& options) {
  if (options.output != "table" && options.output != "json") {
    return Fail("queues",
                Status::InvalidArgument("--output must be table or json, not " + options.output));
  }
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail("queues", client.status());
  Result<json> summary = client->Get("/gleaner/v1/queues");
  if (!summary.ok()) return Fail("queues", summary.status());
  if (options.output == "json") {
    std::cout << summary->dump(2) << "\n";
    return 0;
  }
  EpochMillis now = SystemClock().NowMillis();
  std::vector<std::string> headers = {"QUEUE", "STATE", "PRIORITY"};
  headers.insert(headers.end(), kStatuses.begin(), kStatuses.end());
  headers.insert(headers.end(), {"VCPUS", "OLDEST WAITING"});
  Table table(headers);
  for (const json& queue : (*summary)["queues"]) {
    std::vector<std::string> row = {queue.value("jobQueueName", ""),
                                    queue.value("state", "") + "/" + queue.value("status", ""),
                                    std::to_string(queue.value("priority", 0))};
    for (const std::string& status : kStatuses) {
      row.push_back(std::to_string(queue["jobCounts"].value(status, 0)));
    }
    char vcpus[32];
    std::snprintf(vcpus, sizeof(vcpus), "%g", queue.value("reservedVcpus", 0.0));
    row.push_back(vcpus);
    if (auto oldest = queue.find("oldestRunnable"); oldest != queue.end()) {
      row.push_back(FormatDuration(now - oldest->value("runnableSince", int64_t{0})) + " (" +
                    oldest->value("jobName", "") + ")");
    } else {
      row.push_back("-");
    }
    table.AddRow(std::move(row));
  }
  std::cout << table.Render(StdoutWantsColour());
  return 0;
}

namespace {

// "notice, reclaimed in 1m40s", "rebalance recommended", or "-".
std::string InterruptionState(const json& instance, EpochMillis now) {
  if (instance.contains("interruptionNoticeAt")) {
    int64_t at = instance.value("terminatesAt", int64_t{0});
    return at > now ? "notice, reclaimed in " + FormatDuration(at - now) : "notice, reclaimed";
  }
  if (instance.contains("rebalanceAt")) return "rebalance recommended";
  return "-";
}

}  // namespace

int RunInstancesCommand(const QueuesCommandOptions& options) {
  if (options.output != "table" && options.output != "json") {
    return Fail("instances",
                Status::InvalidArgument("--output must be table or json, not " + options.output));
  }
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail("instances", client.status());
  Result<json> listed = client->Get("/gleaner/v1/instances");
  if (!listed.ok()) return Fail("instances", listed.status());
  if (options.output == "json") {
    std::cout << listed->dump(2) << "\n";
    return 0;
  }
  EpochMillis now = SystemClock().NowMillis();
  Table table({"INSTANCE ID", "COMPUTE ENVIRONMENT", "TYPE", "ZONE", "LIFECYCLE", "STATE", "$/HOUR",
               "AGE", "JOBS", "INTERRUPTION"});
  for (const json& instance : (*listed)["instances"]) {
    char price[32];
    std::snprintf(price, sizeof(price), "%.4f", instance.value("hourlyPrice", 0.0));
    std::string interruption = InterruptionState(instance, now);
    table.AddRow({instance.value("instanceId", ""), instance.value("computeEnvironment", ""),
                  instance.value("instanceType", ""), instance.value("availabilityZone", ""),
                  instance.value("lifecycle", ""), instance.value("state", ""), price,
                  FormatDuration(now - instance.value("launchedAt", int64_t{0})),
                  std::to_string(instance.value("jobs", 0)), interruption},
                 interruption == "-" ? "" : "FAILED");
  }
  std::cout << table.Render(StdoutWantsColour());
  return 0;
}

}  // namespace gleaner
