#include "server/cost_route.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <set>

#include "api/aws_errors.h"
#include "api/ec2_query.h"
#include "capacity/capacity_prices.h"
#include "cost/cost_report.h"
#include "model/arn.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr char kUntagged[] = "(untagged)";

enum class Grouping { kQueue, kComputeEnvironment, kJobDefinition, kLifecycle, kJob, kTag };

struct CostQuery {
  Grouping by = Grouping::kQueue;
  std::string by_text = "queue";
  std::string tag_key;
  std::optional<EpochMillis> since;
  std::string job_id;
};

// "90m", "24h", "7d", "30s": an age.
std::optional<int64_t> ParseAge(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    default:
      return std::nullopt;
  }
  int64_t count = 0;
  std::string_view digits = text.substr(0, text.size() - 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (error != std::errc() || end != digits.data() + digits.size() || count < 0 ||
      count > 100LL * 365 * 86'400) {
    return std::nullopt;
  }
  return count * unit;
}

Result<CostQuery> ParseCostQuery(const std::string& query_string, EpochMillis now) {
  CostQuery query;
  for (const auto& [key, values] : ParseQuery(query_string)) {
    const std::string& value = values.back();
    if (key == "by") {
      query.by_text = value;
      if (value == "queue") {
        query.by = Grouping::kQueue;
      } else if (value == "compute-environment") {
        query.by = Grouping::kComputeEnvironment;
      } else if (value == "job-definition") {
        query.by = Grouping::kJobDefinition;
      } else if (value == "lifecycle") {
        query.by = Grouping::kLifecycle;
      } else if (value == "job") {
        query.by = Grouping::kJob;
      } else if (value.starts_with("tag:") && value.size() > 4) {
        query.by = Grouping::kTag;
        query.tag_key = value.substr(4);
      } else {
        return Status::InvalidArgument(
            "by \"" + value +
            "\" is not one of queue, compute-environment, job-definition, lifecycle, job, "
            "tag:KEY");
      }
    } else if (key == "since") {
      std::optional<int64_t> age = ParseAge(value);
      std::optional<EpochMillis> at =
          age ? std::optional<EpochMillis>(now - *age) : ParseAwsTime(value);
      if (!at) {
        return Status::InvalidArgument(
            "since \"" + value +
            "\" is neither a time (2026-12-07T10:00:00Z, epoch seconds) nor an age (90m, 24h, "
            "7d)");
      }
      query.since = at;
    } else if (key == "job") {
      query.job_id = value;
    } else {
      return Status::InvalidArgument("Unknown query parameter \"" + key +
                                     "\": costs are asked for with by, since and job");
    }
  }
  return query;
}

// The job an attempt counts for: an array child's or a multi-node node's parent.
std::string OwningJobId(const Job& job) {
  size_t separator = job.job_id.find_first_of(":#");
  return separator == std::string::npos ? job.job_id : job.job_id.substr(0, separator);
}

std::string GroupOf(const CostQuery& query, const Job& job, const AttemptCost& cost) {
  switch (query.by) {
    case Grouping::kQueue:
      return ArnResourceName(job.job_queue.str(), "job-queue");
    case Grouping::kComputeEnvironment:
      return ArnResourceName(cost.compute_environment_arn, "compute-environment");
    case Grouping::kJobDefinition:
      return ArnResourceName(job.job_definition.str(), "job-definition");
    case Grouping::kLifecycle:
      return std::string(LifecycleName(cost.lifecycle));
    case Grouping::kJob:
      return OwningJobId(job);
    case Grouping::kTag: {
      auto tag = job.tags.find(query.tag_key);
      return tag == job.tags.end() ? kUntagged : tag->second;
    }
  }
  return "";
}

// Calls `visit(job, cost, attempt number, running)` for every attempt in the window.
template <typename Visit>
void ForEachAttempt(const BatchState& state, std::optional<EpochMillis> since, EpochMillis now,
                    Visit visit) {
  for (const auto& [id, job] : state.jobs()) {
    int number = 0;
    for (const AttemptDetail& attempt : job.attempts) {
      ++number;
      if (since && attempt.cost.to < *since) continue;
      visit(job, attempt.cost, number, false);
    }
    if (job.placement && !job.placement->instance_id.empty()) {
      visit(job, state.CostOfAttempt(*job.placement, job.required, "", false, now), number + 1,
            true);
    }
  }
}

json RowJson(const CostRow& row) {
  return {{"group", row.group},
          {"jobs", row.jobs},
          {"attempts", row.attempts},
          {"interruptedAttempts", row.interrupted_attempts},
          {"usd", row.usd},
          {"onDemandUsd", row.on_demand_usd},
          {"savingsPercent", row.SavingsPercent()},
          {"lostUsd", row.lost_usd},
          {"idleUsd", row.idle_usd}};
}

json AttemptJson(const Job& job, const AttemptCost& cost, int number, bool running) {
  return {
      {"jobId", job.job_id},
      {"attempt", number},
      {"instanceId", cost.instance_id},
      {"instanceType", cost.instance_type},
      {"computeEnvironment", ArnResourceName(cost.compute_environment_arn, "compute-environment")},
      {"lifecycle", LifecycleName(cost.lifecycle)},
      {"outcome", running ? std::string_view("running") : OutcomeName(cost.outcome)},
      {"from", cost.from},
      {"to", cost.to},
      {"splitRatio", cost.split_ratio},
      {"usd", cost.usd},
      {"onDemandUsd", cost.on_demand_usd}};
}

Result<json> ReportByGroup(const BatchState& state, const CapacityPrices& prices,
                           const CostQuery& query, EpochMillis now) {
  std::vector<CostedAttempt> attempts;
  ForEachAttempt(state, query.since, now,
                 [&](const Job& job, const AttemptCost& cost, int, bool running) {
                   attempts.push_back({OwningJobId(job), GroupOf(query, job, cost), cost, running});
                 });
  CostReport report = BuildCostReport(attempts, prices.Bills(query.since.value_or(0), now),
                                      query.by == Grouping::kComputeEnvironment);
  json rows = json::array();
  for (const CostRow& row : report.rows) rows.push_back(RowJson(row));
  json out = {{"by", query.by_text}, {"rows", std::move(rows)}, {"total", RowJson(report.total)}};
  if (query.since) out["since"] = *query.since;
  return out;
}

Result<json> ReportForJob(const BatchState& state, const CapacityPrices& prices,
                          const CostQuery& query, EpochMillis now) {
  if (state.FindJob(query.job_id) == nullptr) {
    return Status::InvalidArgument("job \"" + query.job_id + "\" does not exist");
  }
  // The job's idle share needs everything else that ran on its instances.
  std::vector<CostedAttempt> attempts;
  json listed = json::array();
  std::set<std::string> instances;
  ForEachAttempt(state, query.since, now,
                 [&](const Job& job, const AttemptCost& cost, int number, bool running) {
                   bool mine = job.job_id == query.job_id || OwningJobId(job) == query.job_id;
                   attempts.push_back({OwningJobId(job), mine ? query.job_id : "", cost, running});
                   if (!mine) return;
                   listed.push_back(AttemptJson(job, cost, number, running));
                   instances.insert(cost.instance_id);
                 });
  std::vector<InstanceBill> bills;
  for (InstanceBill& bill : prices.Bills(query.since.value_or(0), now)) {
    if (instances.contains(bill.instance_id)) bills.push_back(std::move(bill));
  }
  CostReport report = BuildCostReport(attempts, bills, false);
  CostRow total;
  for (const CostRow& row : report.rows) {
    if (row.group == query.job_id) total = row;
  }
  total.group = query.job_id;
  return json{{"jobId", query.job_id}, {"attempts", std::move(listed)}, {"total", RowJson(total)}};
}

}  // namespace

HttpHandler MakeCostRoute(BatchExecutor& executor, const Clock& clock,
                          const CapacityPrices& prices) {
  return [&executor, &clock, &prices](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") {
      return respond(BatchErrorResponse(Status::InvalidArgument("costs are read with GET")));
    }
    Result<CostQuery> query = ParseCostQuery(request.query, clock.NowMillis());
    if (!query.ok()) return respond(BatchErrorResponse(query.status()));
    executor.Execute(
        [&clock, &prices, query = *query](BatchState& state) -> Result<json> {
          EpochMillis now = clock.NowMillis();
          return query.job_id.empty() ? ReportByGroup(state, prices, query, now)
                                      : ReportForJob(state, prices, query, now);
        },
        [respond](Result<json> report) {
          if (!report.ok()) return respond(BatchErrorResponse(report.status()));
          respond(JsonResponse(DumpJson(*report)));
        });
  };
}

}  // namespace gleaner
