#include "server/interrupt_route.h"

#include <cmath>

#include "api/aws_errors.h"
#include "capacity/ec2_cloud.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

Result<InterruptRequest> ParseInterruptRequest(const std::string& body) {
  Result<json> parsed = body.empty() ? json::object() : ParseJsonText(body);
  json in = parsed.ok() ? std::move(*parsed) : json();
  if (!in.is_object()) {
    return Status::InvalidArgument("The request body must be a JSON object");
  }
  InterruptRequest request;
  for (const auto& [key, value] : in.items()) {
    if (key == "jobId" || key == "instanceId" || key == "computeEnvironment") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return Status::InvalidArgument(key + " must be a non-empty string");
      }
      std::string text = value.get<std::string>();
      (key == "jobId"        ? request.job_id
       : key == "instanceId" ? request.instance_id
                             : request.compute_environment) = text;
    } else if (key == "count") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1'000'000) {
        return Status::InvalidArgument("count must be an integer from 1 to 1000000");
      }
      request.count = static_cast<int>(value.get<int64_t>());
    } else if (key == "percent" || key == "noticeSeconds" || key == "rebalanceLeadSeconds") {
      if (!value.is_number()) return Status::InvalidArgument(key + " must be a number");
      double number = value.get<double>();
      if (!std::isfinite(number) || number > 1e9) {
        return Status::InvalidArgument(key + " is out of range");
      }
      if (key == "percent") {
        request.percent = number;
      } else {
        int64_t millis = std::llround(number * 1000);
        (key == "noticeSeconds" ? request.notice_millis : request.rebalance_lead_millis) = millis;
      }
    } else {
      return Status::InvalidArgument(
          "Unknown member \"" + key +
          "\": interrupt takes jobId, instanceId, computeEnvironment, count, percent, "
          "noticeSeconds and rebalanceLeadSeconds");
    }
  }
  return request;
}

}  // namespace

HttpHandler MakeInterruptRoute(BatchExecutor& executor, Ec2Cloud* cloud) {
  return [&executor, cloud](HttpRequest&& request, Responder respond) {
    if (request.method != "POST") {
      return respond(BatchErrorResponse(Status::InvalidArgument("interrupt must be sent as POST")));
    }
    if (cloud == nullptr) {
      return respond(BatchErrorResponse(Status::InvalidArgument(
          "Interruptions need the simulated cloud: start gleaner with --capacity simspot")));
    }
    Result<InterruptRequest> parsed = ParseInterruptRequest(request.body);
    if (!parsed.ok()) return respond(BatchErrorResponse(parsed.status()));
    executor.Execute(
        [cloud, interrupt = *parsed](BatchState& state) -> Result<json> {
          auto interrupted = cloud->Interrupt(state, interrupt);
          if (!interrupted.ok()) return interrupted.status();
          json out = {{"interruptions", json::array()}};
          for (const InterruptedInstance& instance : *interrupted) {
            out["interruptions"].push_back(
                {{"instanceId", instance.instance_id},
                 {"noticeTime", FormatIso8601Seconds(instance.notice_at)},
                 {"terminationTime", FormatIso8601Seconds(instance.deadline_at)}});
          }
          return out;
        },
        [respond](Result<json> result) {
          if (!result.ok()) return respond(BatchErrorResponse(result.status()));
          respond(JsonResponse(DumpJson(*result)));
        });
  };
}

}  // namespace gleaner
