#include "server/server_metrics.h"

#include <map>
#include <tuple>

#include "capacity/ec2_cloud.h"
#include "model/arn.h"
#include "model/job_status.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

// An attempt that ended in this pass was stamped stopped at the pass's time; one that ended
// longer ago than this (a retried job cancelled later) was counted when it ended.
constexpr int64_t kJustEndedMillis = 5'000;

std::string QueueName(const std::string& arn) {
  std::string name = ArnResourceName(arn, "job-queue");
  return name.empty() ? arn : name;
}

std::string Outcome(JobStatus status) {
  if (status == JobStatus::kSucceeded) return "succeeded";
  if (status == JobStatus::kFailed) return "failed";
  return "retried";
}

void AppendJobGauges(const BatchState& state, MetricsText& text) {
  text.Family("gleaner_jobs", "gauge", "Jobs held, by job queue and status.");
  for (const auto& [queue_arn, counts] : state.JobCountsByQueue()) {
    std::string queue = QueueName(queue_arn);
    for (int status = 0; status < kJobStatusCount; ++status) {
      text.Sample(
          "gleaner_jobs",
          {{"queue", queue}, {"status", std::string(ToString(static_cast<JobStatus>(status)))}},
          static_cast<double>(counts[status]));
    }
  }
  text.Family("gleaner_jobs_held", "gauge",
              "Jobs held in memory, all queues, arrays' children "
              "included.");
  text.Sample("gleaner_jobs_held", {}, static_cast<double>(state.job_count()));
}

void AppendInstanceGauges(const Ec2Cloud& cloud, MetricsText& text) {
  // (compute environment, lifecycle, type, zone, state) -> instances
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, int> counts;
  for (const auto& [id, instance] : cloud.instances()) {
    if (instance.state == InstanceState::kTerminated) continue;
    std::string environment =
        ArnResourceName(instance.compute_environment_arn, "compute-environment");
    ++counts[{environment, instance.purchase == PurchaseOption::kSpot ? "spot" : "on-demand",
              instance.pool.instance_type, instance.pool.availability_zone,
              InstanceStateName(instance.state)}];
  }
  text.Family("gleaner_instances", "gauge",
              "Simulated EC2 instances not yet terminated, by compute environment, lifecycle, "
              "instance type, availability zone and state.");
  for (const auto& [key, count] : counts) {
    const auto& [environment, lifecycle, type, zone, state] = key;
    text.Sample("gleaner_instances",
                {{"compute_environment", environment},
                 {"lifecycle", lifecycle},
                 {"instance_type", type},
                 {"availability_zone", zone},
                 {"state", state}},
                count);
  }
}

}  // namespace

ServerMetrics::ServerMetrics(const Clock& clock)
    : clock_(clock),
      requests_(registry_->Counter("gleaner_http_requests_total",
                                   "HTTP requests answered, by service, operation and status code.",
                                   {"service", "operation", "code"})),
      request_seconds_(
          registry_->Histogram("gleaner_http_request_duration_seconds",
                               "Time from a request's arrival to its answer, by service.",
                               {"service"}, ExponentialBuckets(0.0005, 4, 10))),
      pass_seconds_(registry_->Histogram("gleaner_scheduler_pass_duration_seconds",
                                         "Time the scheduler took to decide one pass.", {},
                                         ExponentialBuckets(0.00005, 4, 10))),
      decisions_(registry_->Counter(
          "gleaner_scheduler_decisions_total",
          "What scheduling passes decided: attempts started, signals sent, capacity requested.",
          {"decision"})),
      commit_seconds_(
          registry_->Histogram("gleaner_store_commit_duration_seconds",
                               "Time the store took to write and sync one group commit.", {},
                               ExponentialBuckets(0.0001, 4, 10))),
      commit_group_batches_(registry_->Histogram(
          "gleaner_store_commit_group_batches",
          "How many changes (one per scheduling pass or command) one group commit held.", {},
          ExponentialBuckets(1, 2, 10))),
      submissions_(registry_->Counter("gleaner_job_submissions_total",
                                      "Jobs submitted (arrays' children not counted), by queue.",
                                      {"queue"})),
      transitions_(registry_->Counter("gleaner_job_state_transitions_total",
                                      "Jobs that moved to a status, by queue and status.",
                                      {"queue", "status"})),
      attempt_seconds_(registry_->Histogram(
          "gleaner_attempt_duration_seconds",
          "How long attempts ran, by queue and outcome (succeeded, failed, retried).",
          {"queue", "outcome"}, ExponentialBuckets(1, 4, 10))),
      attempt_cost_(registry_->Counter(
          "gleaner_attempt_cost_usd_total",
          "What ended attempts cost (their split share of their instances, idle not included), "
          "in USD, by queue, lifecycle (spot, on-demand, fargate, fargate-spot, local, agent) and "
          "outcome (succeeded, failed, interrupted, terminated).",
          {"queue", "lifecycle", "outcome"})),
      attempt_on_demand_cost_(
          registry_->Counter("gleaner_attempt_on_demand_cost_usd_total",
                             "What the same attempts would have cost at on-demand prices, in USD.",
                             {"queue", "lifecycle", "outcome"})),
      cloud_events_(registry_->Counter(
          "gleaner_instance_events_total",
          "EC2 events the simulated cloud sent, by detail type (interruption warnings, "
          "rebalance recommendations).",
          {"detail_type"})) {}

void ServerMetrics::OnRequest(const RequestKind& kind, int status, double seconds) {
  requests_.Add({kind.service, kind.operation, std::to_string(status)});
  request_seconds_.Observe({kind.service}, seconds);
}

void ServerMetrics::OnPass(double seconds, const Decisions& decisions) {
  pass_seconds_.Observe({}, seconds);
  if (!decisions.starts.empty()) decisions_.Add({"start"}, decisions.starts.size());
  if (!decisions.signals.empty()) decisions_.Add({"signal"}, decisions.signals.size());
  size_t requested = 0;
  for (const auto& [environment, requests] : decisions.capacity_requests) {
    requested += requests.size();
  }
  if (requested > 0) decisions_.Add({"capacity_request"}, requested);
}

void ServerMetrics::OnGroupWritten(size_t batches, double seconds) {
  commit_seconds_.Observe({}, seconds);
  commit_group_batches_.Observe({}, static_cast<double>(batches));
}

void ServerMetrics::OnChanges(const BatchState& state, const StateChanges& changes) {
  EpochMillis now = clock_.NowMillis();
  for (const auto& [id, status] : changes.status_transitions) {
    const Job* job = state.FindJob(id);
    if (job == nullptr) continue;
    std::string queue = QueueName(job->job_queue);
    transitions_.Add({queue, std::string(ToString(status))});
    if (status == JobStatus::kSubmitted && !job->array_index) submissions_.Add({queue});
    bool ended = status == JobStatus::kSucceeded || status == JobStatus::kFailed ||
                 status == JobStatus::kRunnable;
    if (ended && !job->attempts.empty() &&
        job->attempts.back().stopped_at >= now - kJustEndedMillis) {
      const AttemptDetail& attempt = job->attempts.back();
      attempt_seconds_.Observe(
          {queue, Outcome(status)},
          static_cast<double>(attempt.stopped_at - attempt.started_at) / 1000.0);
      std::vector<std::string> cost_labels = {queue,
                                              std::string(LifecycleName(attempt.cost.lifecycle)),
                                              std::string(OutcomeName(attempt.cost.outcome))};
      attempt_cost_.Add(cost_labels, attempt.cost.usd);
      attempt_on_demand_cost_.Add(cost_labels, attempt.cost.on_demand_usd);
    }
  }
}

void ServerMetrics::OnEvents(const std::vector<json>& events) {
  for (const json& event : events) {
    if (event.value("source", "") != "aws.ec2") continue;
    cloud_events_.Add({event.value("detail-type", "")});
  }
}

HttpHandler ServerMetrics::Route(BatchExecutor& executor, const Ec2Cloud* cloud) const {
  return [registry = registry_, &executor, cloud](HttpRequest&& request, Responder respond) {
    if (request.path != "/metrics") {
      HttpResponse missing;
      missing.status = 404;
      missing.content_type = "text/plain";
      missing.body = "gleaner's metrics are at /metrics\n";
      return respond(std::move(missing));
    }
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse refused;
      refused.status = 405;
      refused.content_type = "text/plain";
      refused.body = "GET /metrics\n";
      return respond(std::move(refused));
    }
    executor.Execute(
        [cloud](BatchState& state) -> Result<json> {
          MetricsText text;
          AppendJobGauges(state, text);
          if (cloud != nullptr) AppendInstanceGauges(*cloud, text);
          return json(std::move(text.text()));
        },
        [registry, respond](Result<json> gauges) {
          HttpResponse response;
          response.content_type = "text/plain; version=0.0.4; charset=utf-8";
          response.body = registry->Render();
          if (gauges.ok() && gauges->is_string()) response.body += gauges->get<std::string>();
          respond(std::move(response));
        });
  };
}

}  // namespace gleaner
