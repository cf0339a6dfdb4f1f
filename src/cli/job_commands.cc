#include "cli/job_commands.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "cli/gleaner_client.h"
#include "cli/table.h"
#include "common/clock.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr int kProgressWidth = 30;

int Fail(const std::string& command, const Status& status) {
  std::cerr << "gleaner " << command << ": " << status.message() << "\n";
  return 1;
}

Result<std::vector<json>> Describe(GleanerClient& client, const std::vector<std::string>& ids) {
  Result<json> described = client.Batch("DescribeJobs", {{"jobs", ids}});
  if (!described.ok()) return described.status();
  std::map<std::string, json> by_id;
  for (json& job : (*described)["jobs"]) {
    std::string id = job.value("jobId", "");
    by_id[id] = std::move(job);
  }
  std::vector<json> jobs;
  for (const std::string& id : ids) {
    auto found = by_id.find(id);
    if (found == by_id.end()) return Status::NotFound("job " + id + " does not exist");
    jobs.push_back(std::move(found->second));
  }
  return jobs;
}

std::string Time(const json& job, const char* field, EpochMillis now) {
  int64_t at = job.value(field, int64_t{0});
  if (at <= 0) return "-";
  return FormatIso8601Seconds(at) + " (" + FormatDuration(now - at) + " ago)";
}

std::string AfterLastSlash(const std::string& text) {
  return text.substr(text.rfind('/') == std::string::npos ? 0 : text.rfind('/') + 1);
}

bool Ended(const json& job) {
  std::string status = job.value("status", "");
  return status == "SUCCEEDED" || status == "FAILED";
}

std::string ArrayCounts(const json& job) {
  const json summary =
      job.value("arrayProperties", json::object()).value("statusSummary", json::object());
  std::string text;
  for (const auto& [status, count] : summary.items()) {
    if (count.is_number() && count.get<int>() > 0) {
      text += (text.empty() ? "" : ", ") + std::to_string(count.get<int>()) + " " + status;
    }
  }
  return text;
}

void PrintDescription(const json& job, EpochMillis now) {
  std::cout << "Job         " << job.value("jobName", "") << " (" << job.value("jobId", "") << ")\n"
            << "Queue       " << AfterLastSlash(job.value("jobQueue", "")) << "\n"
            << "Definition  " << AfterLastSlash(job.value("jobDefinition", "")) << "\n"
            << "Status      " << job.value("status", "");
  if (std::string reason = job.value("statusReason", ""); !reason.empty()) {
    std::cout << ": " << reason;
  }
  std::cout << "\nCreated     " << Time(job, "createdAt", now) << "\n"
            << "Started     " << Time(job, "startedAt", now) << "\n"
            << "Stopped     " << Time(job, "stoppedAt", now) << "\n";
  for (const json& dependency : job.value("dependsOn", json::array())) {
    std::cout << "Depends on  " << dependency.value("jobId", "")
              << (dependency.contains("type") ? " (" + dependency.value("type", "") + ")" : "")
              << "\n";
  }
  if (job.contains("arrayProperties") && job["arrayProperties"].contains("size")) {
    std::cout << "Array       " << job["arrayProperties"].value("size", 0)
              << " children: " << ArrayCounts(job) << "\n";
  }
  const json attempts = job.value("attempts", json::array());
  bool running = job.value("status", "") == "RUNNING" || job.value("status", "") == "STARTING";
  if (attempts.empty() && !running) {
    std::cout << "Attempts    none\n";
    return;
  }
  Table table({"#", "INSTANCE", "STARTED", "STOPPED", "RAN", "EXIT", "REASON"});
  int number = 0;
  for (const json& attempt : attempts) {
    const json container = attempt.value("container", json::object());
    int64_t started = attempt.value("startedAt", int64_t{0});
    int64_t stopped = attempt.value("stoppedAt", int64_t{0});
    table.AddRow(
        {std::to_string(++number), AfterLastSlash(container.value("containerInstanceArn", "")),
         started > 0 ? FormatIso8601Seconds(started) : "-",
         stopped > 0 ? FormatIso8601Seconds(stopped) : "-",
         started > 0 && stopped >= started ? FormatDuration(stopped - started) : "-",
         container.contains("exitCode") ? std::to_string(container["exitCode"].get<int>()) : "-",
         attempt.value("statusReason", container.value("reason", ""))});
  }
  if (running) {
    const json container = job.value("container", json::object());
    int64_t started = job.value("startedAt", int64_t{0});
    table.AddRow({std::to_string(++number),
                  AfterLastSlash(container.value("containerInstanceArn", "")),
                  started > 0 ? FormatIso8601Seconds(started) : "-", "-",
                  started > 0 ? FormatDuration(now - started) : "-", "-",
                  job.value("status", "") == "RUNNING" ? "running" : "starting"});
  }
  std::cout << "Attempts\n" << table.Render(StdoutWantsColour());
}

std::string ProgressBar(const json& job) {
  int size = job.value("arrayProperties", json::object()).value("size", 0);
  const json summary =
      job.value("arrayProperties", json::object()).value("statusSummary", json::object());
  int done = summary.value("SUCCEEDED", 0) + summary.value("FAILED", 0);
  if (size <= 0) return "";
  int filled = done * kProgressWidth / size;
  return " [" + std::string(filled, '#') + std::string(kProgressWidth - filled, '.') + "] " +
         std::to_string(done) + "/" + std::to_string(size) + " done (" + ArrayCounts(job) + ")";
}

int ExitStatusOf(const std::vector<json>& jobs) {
  bool all_succeeded = std::all_of(jobs.begin(), jobs.end(), [](const json& job) {
    return job.value("status", "") == "SUCCEEDED";
  });
  if (all_succeeded) return 0;
  if (jobs.size() == 1) {
    const json container = jobs[0].value("container", json::object());
    if (container.contains("exitCode") && container["exitCode"].is_number_integer()) {
      int code = container["exitCode"].get<int>();
      return code == 0 ? 1 : code;
    }
  }
  return 1;
}

}  // namespace

int RunDescribeCommand(const DescribeCommandOptions& options) {
  if (options.output != "text" && options.output != "json") {
    return Fail("describe",
                Status::InvalidArgument("--output must be text or json, not " + options.output));
  }
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail("describe", client.status());
  Result<std::vector<json>> jobs = Describe(*client, {options.job_id});
  if (!jobs.ok()) return Fail("describe", jobs.status());
  if (options.output == "json") {
    std::cout << (*jobs)[0].dump(2) << "\n";
  } else {
    PrintDescription((*jobs)[0], SystemClock().NowMillis());
  }
  return 0;
}

namespace {

const char* const kUnfinished[] = {"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"};

// The queue's line: its counts by status and a bar of the jobs finished since the watch began.
std::string QueueLine(const json& queue, const json& first) {
  const json& counts = queue["jobCounts"];
  int unfinished = 0;
  for (const char* status : kUnfinished) unfinished += counts.value(status, 0);
  int finished = counts.value("SUCCEEDED", 0) + counts.value("FAILED", 0) -
                 first.value("SUCCEEDED", 0) - first.value("FAILED", 0);
  finished = std::max(finished, 0);
  int total = std::max(unfinished + finished, 1);
  int filled = finished * kProgressWidth / total;
  std::string line = queue.value("jobQueueName", "") + " [" + std::string(filled, '#') +
                     std::string(kProgressWidth - filled, '.') + "] " + std::to_string(finished) +
                     "/" + std::to_string(unfinished + finished) + " done since the watch began:";
  for (const auto& [status, count] : counts.items()) {
    if (count.get<int>() > 0) line += " " + std::to_string(count.get<int>()) + " " + status;
  }
  return line;
}

// `gleaner watch --queue Q...`: a line when a queue's counts change, until none of its jobs is
// unfinished; 0 when no job failed meanwhile, else 1.
int WatchQueues(GleanerClient& client, const WatchCommandOptions& options) {
  std::map<std::string, json> first;  // queue name -> its counts when the watch began
  std::map<std::string, std::string> told;
  while (true) {
    Result<json> summary = client.Get("/gleaner/v1/queues");
    if (!summary.ok()) return Fail("watch", summary.status());
    bool done = true;
    bool failed = false;
    for (const std::string& name : options.queues) {
      auto queue = std::find_if(
          (*summary)["queues"].begin(), (*summary)["queues"].end(), [&name](const json& q) {
            return q.value("jobQueueName", "") == name || q.value("jobQueueArn", "") == name;
          });
      if (queue == (*summary)["queues"].end()) {
        return Fail("watch", Status::InvalidArgument("no job queue " + name));
      }
      const json& counts = (*queue)["jobCounts"];
      first.try_emplace(name, counts);
      failed |= counts.value("FAILED", 0) > first[name].value("FAILED", 0);
      for (const char* status : kUnfinished) done &= counts.value(status, 0) == 0;
      std::string line = QueueLine(*queue, first[name]);
      if (line == told[name]) continue;
      told[name] = line;
      std::cout << FormatIso8601Seconds(SystemClock().NowMillis()).substr(11, 8) << "  " << line
                << std::endl;
    }
    if (done) return failed ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_millis));
  }
}

}  // namespace

int RunWatchCommand(const WatchCommandOptions& options) {
  if (options.job_ids.empty() == options.queues.empty()) {
    return Fail("watch", Status::InvalidArgument("give job ids or --queue, not both"));
  }
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail("watch", client.status());
  if (!options.queues.empty()) return WatchQueues(*client, options);
  std::map<std::string, std::string> told;  // job id -> the last line told
  while (true) {
    Result<std::vector<json>> jobs = Describe(*client, options.job_ids);
    if (!jobs.ok()) return Fail("watch", jobs.status());
    for (const json& job : *jobs) {
      std::string line = job.value("jobName", "") + " (" + job.value("jobId", "") + ") " +
                         job.value("status", "") + ProgressBar(job);
      if (std::string reason = job.value("statusReason", "");
          !reason.empty() && !job.contains("arrayProperties")) {
        line += ": " + reason;
      }
      std::string& last = told[job.value("jobId", "")];
      if (line == last) continue;
      last = line;
      std::cout << FormatIso8601Seconds(SystemClock().NowMillis()).substr(11, 8) << "  " << line
                << "\n";
      std::cout.flush();
    }
    if (std::all_of(jobs->begin(), jobs->end(), Ended)) return ExitStatusOf(*jobs);
    std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_millis));
  }
}

}  // namespace gleaner
