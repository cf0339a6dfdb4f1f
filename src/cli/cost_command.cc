#include "cli/cost_command.h"

#include <cstdio>
#include <iostream>

#include "api/sigv4.h"
#include "cli/gleaner_client.h"
#include "cli/table.h"

namespace gleaner {
namespace {

using nlohmann::json;

int Fail(const Status& status) {
  std::cerr << "gleaner cost: " << status.message() << "\n";
  return 1;
}

// Cents above a dollar; below, six decimals (a few seconds of a small instance cost millionths).
std::string Dollars(double usd) {
  char text[32];
  std::snprintf(text, sizeof text, usd >= 1 || usd == 0 ? "%.2f" : "%.6f", usd);
  return text;
}

std::string Percent(double percent) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", percent);
  return text;
}

std::vector<std::string> RowCells(const json& row) {
  return {row.value("group", ""),
          std::to_string(row.value("jobs", 0)),
          std::to_string(row.value("attempts", 0)),
          Dollars(row.value("usd", 0.0)),
          Dollars(row.value("onDemandUsd", 0.0)),
          Percent(row.value("savingsPercent", 0.0)),
          Dollars(row.value("lostUsd", 0.0)),
          Dollars(row.value("idleUsd", 0.0))};
}

std::string GroupHeader(const std::string& by) {
  if (by.starts_with("tag:")) return "TAG " + by.substr(4);
  std::string header;
  for (char c : by) header += c == '-' ? ' ' : static_cast<char>(std::toupper(c));
  return header;
}

void PrintGroups(const json& report, const std::string& by) {
  Table table({GroupHeader(by), "JOBS", "ATTEMPTS", "COST $", "ON-DEMAND $", "SAVINGS",
               "LOST TO INTERRUPTIONS $", "IDLE $"});
  for (const json& row : report["rows"]) table.AddRow(RowCells(row));
  table.AddRow(RowCells(report["total"]));
  std::cout << table.Render(StdoutWantsColour());
}

void PrintJob(const json& report) {
  Table table({"JOB ID", "ATTEMPT", "INSTANCE", "TYPE", "LIFECYCLE", "OUTCOME", "DURATION",
               "COST $", "ON-DEMAND $"});
  for (const json& attempt : report["attempts"]) {
    std::string outcome = attempt.value("outcome", "");
    table.AddRow(
        {attempt.value("jobId", ""), std::to_string(attempt.value("attempt", 0)),
         attempt.value("instanceId", ""), attempt.value("instanceType", ""),
         attempt.value("lifecycle", ""), outcome,
         FormatDuration(attempt.value("to", int64_t{0}) - attempt.value("from", int64_t{0})),
         Dollars(attempt.value("usd", 0.0)), Dollars(attempt.value("onDemandUsd", 0.0))},
        outcome == "interrupted" || outcome == "failed" ? "FAILED"
        : outcome == "running"                          ? "RUNNING"
                                                        : "");
  }
  std::cout << table.Render(StdoutWantsColour());
  const json& total = report["total"];
  std::cout << "total " << Dollars(total.value("usd", 0.0)) << " $ (idle share "
            << Dollars(total.value("idleUsd", 0.0)) << " $), on demand "
            << Dollars(total.value("onDemandUsd", 0.0)) << " $, savings "
            << Percent(total.value("savingsPercent", 0.0)) << ", lost to interruptions "
            << Dollars(total.value("lostUsd", 0.0)) << " $\n";
}

}  // namespace

int RunCostCommand(const CostCommandOptions& options) {
  if (options.output != "table" && options.output != "json") {
    return Fail(Status::InvalidArgument("--output must be table or json, not " + options.output));
  }
  std::string path = "/gleaner/v1/cost?by=" + UriEncode(options.by, false);
  if (!options.since.empty()) path += "&since=" + UriEncode(options.since, false);
  if (!options.job_id.empty()) path += "&job=" + UriEncode(options.job_id, false);
  Result<GleanerClient> client = GleanerClient::Connect(options.endpoint);
  if (!client.ok()) return Fail(client.status());
  Result<json> report = client->Get(path);
  if (!report.ok()) return Fail(report.status());
  if (options.output == "json") {
    std::cout << report->dump(2) << "\n";
  } else if (options.job_id.empty()) {
    PrintGroups(*report, options.by);
  } else {
    PrintJob(*report);
  }
  return 0;
}

}  // namespace gleaner
