#include "cli/array_logs.h"

#include <iostream>
#include <map>
#include <thread>
#include <vector>

namespace gleaner {
namespace {

using nlohmann::json;

constexpr size_t kDescribeBatch = 100;  // DescribeJobs takes at most 100 ids

struct ChildLog {
  std::string stream;  // the latest attempt's
  std::string token;   // where its next lines start
  bool done = false;   // ended, and every line printed
};

bool IsFinal(const std::string& status) { return status == "SUCCEEDED" || status == "FAILED"; }

bool HasStarted(const std::string& status) {
  return status == "STARTING" || status == "RUNNING" || IsFinal(status);
}

// Every child's index and status (ListJobs --array-job-id with a filter lists every status).
Result<std::map<int, std::string>> ChildStatuses(GleanerClient& client, const std::string& parent) {
  std::map<int, std::string> statuses;
  json request = {{"arrayJobId", parent},
                  {"maxResults", 1000},
                  {"filters", {{{"name", "AFTER_CREATED_AT"}, {"values", {"0"}}}}}};
  while (true) {
    Result<json> page = client.Batch("ListJobs", request);
    if (!page.ok()) return page.status();
    for (const json& child : (*page)["jobSummaryList"]) {
      int index = child.value("arrayProperties", json::object()).value("index", -1);
      if (index >= 0) statuses[index] = child.value("status", "");
    }
    std::string token = page->value("nextToken", "");
    if (token.empty()) return statuses;
    request["nextToken"] = token;
  }
}

// Prints the lines of `child` not printed yet; marks it done once it ended and all are out.
Status Drain(GleanerClient& client, int index, const json& described, ChildLog& child) {
  std::string stream = described.value("container", json::object()).value("logStreamName", "");
  if (stream.empty()) return Status::Ok();
  if (stream != child.stream) {  // a new attempt: its log from the start
    child.stream = stream;
    child.token.clear();
  }
  bool ended = IsFinal(described.value("status", ""));
  while (true) {
    json request{{"logGroupName", "/aws/batch/job"},
                 {"logStreamName", child.stream},
                 {"startFromHead", true}};
    if (!child.token.empty()) request["nextToken"] = child.token;
    Result<json> page = client.Target("Logs_20140328.GetLogEvents", request);
    if (!page.ok()) return page.status();
    for (const json& event : (*page)["events"]) {
      std::cout << "[" << index << "] " << event.value("message", "") << "\n";
    }
    std::string next = page->value("nextForwardToken", "");
    bool more = next != child.token && !(*page)["events"].empty();
    child.token = next;
    if (!more) break;
  }
  std::cout.flush();
  child.done = ended;
  return Status::Ok();
}

}  // namespace

int PrintArrayLogs(GleanerClient& client, const json& parent, bool follow,
                   std::chrono::milliseconds poll_interval) {
  const std::string parent_id = parent.value("jobId", "");
  int size = parent.value("arrayProperties", json::object()).value("size", 0);
  std::map<int, ChildLog> logs;
  while (true) {
    Result<std::map<int, std::string>> statuses = ChildStatuses(client, parent_id);
    if (!statuses.ok()) {
      std::cerr << "gleaner logs: " << statuses.status().message() << "\n";
      return 1;
    }
    std::vector<int> wanted;
    size_t ended = 0;
    for (const auto& [index, status] : *statuses) {
      ended += IsFinal(status) ? 1 : 0;
      if (HasStarted(status) && !logs[index].done) wanted.push_back(index);
    }
    for (size_t start = 0; start < wanted.size(); start += kDescribeBatch) {
      json ids = json::array();
      for (size_t i = start; i < std::min(wanted.size(), start + kDescribeBatch); ++i) {
        ids.push_back(parent_id + ":" + std::to_string(wanted[i]));
      }
      Result<json> described = client.Batch("DescribeJobs", {{"jobs", ids}});
      if (!described.ok()) {
        std::cerr << "gleaner logs: " << described.status().message() << "\n";
        return 1;
      }
      std::map<int, const json*> by_index;
      for (const json& child : (*described)["jobs"]) {
        by_index[child.value("arrayProperties", json::object()).value("index", -1)] = &child;
      }
      for (const auto& [index, child] : by_index) {
        if (Status drained = Drain(client, index, *child, logs[index]); !drained.ok()) {
          std::cerr << "gleaner logs: " << drained.message() << "\n";
          return 1;
        }
      }
    }
    if (!follow) return 0;
    bool all_done = ended == static_cast<size_t>(size);
    for (const auto& [index, log] : logs) all_done &= log.done;
    if (all_done) return 0;
    std::this_thread::sleep_for(poll_interval);
  }
}

}  // namespace gleaner
