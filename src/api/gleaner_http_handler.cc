// Routes every request on gleaner's one endpoint to the service that answers it.
#include <atomic>
#include <memory>
#include <random>

#include "api/aws_errors.h"
#include "api/batch_api.h"
#include "api/batch_operations.h"
#include "api/ec2_api.h"
#include "api/ecs_api.h"
#include "api/events_api.h"
#include "api/logs_api.h"
#include "api/requests/batch_request_parser.h"
#include "api/s3_api.h"
#include "api/sigv4.h"
#include "api/unsupported_services.h"
#include "common/entropy.h"
#include "common/steady_time.h"
#include "common/utf8.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr std::string_view kBatchPrefix = "/v1/";
constexpr std::string_view kMetadataPrefix = "/imds/";
constexpr std::string_view kAgentPrefix = "/gleaner/v1/agent/";
constexpr std::string_view kCredentialsPrefix = "/gleaner/v1/credentials/";
constexpr std::string_view kTaskMetadataPrefix = "/gleaner/v1/task-metadata/";
constexpr std::string_view kTagsPrefix = "/v1/tags/";
constexpr std::string_view kLogsTargetPrefix = "Logs_20140328.";
constexpr std::string_view kEcsTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
constexpr std::string_view kEventsTargetPrefix = "AWSEvents.";

// Request ids look like AWS's (a UUID); a per-process random prefix and a counter keep them unique
// without a lock.
class RequestIds {
 public:
  RequestIds() : prefix_(RandomSeed()) {}
  std::string Next() {
    uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    char text[40];
    snprintf(text, sizeof text, "%08x-%04x-4%03x-8%03x-%012llx",
             static_cast<unsigned>(prefix_ >> 32), static_cast<unsigned>((prefix_ >> 16) & 0xFFFF),
             static_cast<unsigned>(prefix_ & 0xFFF), static_cast<unsigned>((n >> 48) & 0xFFF),
             static_cast<unsigned long long>(n & 0xFFFFFFFFFFFFull));
    return text;
  }

 private:
  uint64_t prefix_ = 0;
  std::atomic<uint64_t> counter_{0};
};

BatchReply ReplyAsJson(Responder respond) {
  return [respond = std::move(respond)](Result<json> result) {
    if (!result.ok()) {
      respond(BatchErrorResponse(result.status()));
      return;
    }
    respond(JsonResponse(DumpJson(*result)));
  };
}

// An empty body counts as {} (botocore sends {} but hand-written clients may send nothing).
Result<json> ParseBody(const HttpRequest& request) {
  if (request.body.empty()) return json::object();
  return ParseJsonText(request.body);
}

void RouteTags(HttpRequest& request, BatchExecutor& executor, Responder respond) {
  std::string arn = PercentDecode(std::string_view(request.path).substr(kTagsPrefix.size()), false);
  BatchReply reply = ReplyAsJson(std::move(respond));
  if (request.method == "GET") {
    ListTagsForResource(arn, executor, std::move(reply));
  } else if (request.method == "POST") {
    Result<json> body = ParseBody(request);
    if (!body.ok()) return reply(body.status());
    TagResource(arn, *body, executor, std::move(reply));
  } else if (request.method == "DELETE") {
    auto query = ParseQuery(request.query);
    UntagResource(arn, query["tagKeys"], executor, std::move(reply));
  } else {
    reply(Status::InvalidArgument("method " + request.method + " is not allowed on /v1/tags/"));
  }
}

void RouteBatch(HttpRequest& request, BatchExecutor& executor, Responder respond) {
  BatchReply reply = ReplyAsJson(std::move(respond));
  std::string_view name = std::string_view(request.path).substr(kBatchPrefix.size());
  const BatchOperation* operation = FindBatchOperation(name);
  if (operation == nullptr) {
    return reply(Status::InvalidArgument(
        "Unknown operation \"" + std::string(name) +
        "\": gleaner serves the AWS Batch API (2016-08-10): " + BatchOperationNames()));
  }
  if (request.method != "POST") {
    return reply(Status::InvalidArgument(std::string(operation->name) + " must be sent as POST"));
  }
  if (request.body_too_large) {
    return reply(Status::InvalidArgument("The request body of " + std::string(operation->name) +
                                         " is too large"));
  }
  Status size = CheckPayloadSize(std::string(operation->name), request.body.size());
  if (!size.ok()) return reply(size);
  Result<json> body = ParseBody(request);
  if (!body.ok()) return reply(body.status());
  operation->handler(*body, executor, std::move(reply));
}

// Whether a request names one of the services besides S3, which answers everything else (S3's
// paths are any bucket's and key's).
bool IsForAnotherService(const HttpRequest& request,
                         const std::vector<std::pair<std::string, HttpHandler>>& routes) {
  const std::string& path = request.path;
  if (path.starts_with(kBatchPrefix) || path.starts_with(kMetadataPrefix) ||
      path.starts_with(kAgentPrefix) || request.headers.count("x-amz-target") != 0 ||
      IsEc2Request(request)) {
    return true;
  }
  for (const auto& [prefix, handler] : routes) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

// GET /metrics with the metrics token as a bearer token (compared in constant time).
bool IsMetricsScrape(const HttpRequest& request, const std::string& token) {
  if (token.empty() || request.path != "/metrics") return false;
  auto authorization = request.headers.find("authorization");
  return authorization != request.headers.end() &&
         SecretsEqual(authorization->second, "Bearer " + token);
}

// Whether `path` is `prefix` itself or below it ("/ui", "/ui/jobs"; not "/uix").
bool IsAtOrUnder(const std::string& path, const std::string& prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

HttpHandler MakeGleanerHttpHandler(BatchExecutor& executor, GleanerApiOptions options) {
  auto ids = std::make_shared<RequestIds>();
  auto logs = std::make_shared<LogsApi>(options.log_directory);
  auto ec2 = std::make_shared<Ec2Api>(executor, options.cloud);
  auto ecs = std::make_shared<EcsApi>(executor, options.cloud);
  auto routes =
      std::make_shared<std::vector<std::pair<std::string, HttpHandler>>>(std::move(options.routes));
  std::shared_ptr<S3Api> s3;
  if (options.objects != nullptr) {
    s3 = std::make_shared<S3Api>(*options.objects, options.authentication, options.s3);
  }
  auto authentication = std::make_shared<RequestAuthentication>(std::move(options.authentication));
  std::shared_ptr<EventsApi> events = std::move(options.events);
  auto observe = std::make_shared<RequestObserver>(std::move(options.observe_request));
  auto metrics_token = std::make_shared<std::string>(std::move(options.metrics_token));
  auto public_routes = std::make_shared<std::vector<std::pair<std::string, HttpHandler>>>(
      std::move(options.public_routes));
  std::shared_ptr<BrowserSessions> sessions = std::move(options.sessions);
  return [&executor, ids, logs, ec2, ecs, s3, events, routes, authentication, observe,
          metrics_token, public_routes, sessions](HttpRequest&& request, Responder respond) {
    if (*observe) {
      respond = [respond = std::move(respond), observe, kind = ClassifyRequest(request),
                 started = SteadyNow()](HttpResponse response) {
        (*observe)(kind, response.status, SecondsBetween(started, SteadyNow()));
        respond(std::move(response));
      };
    }
    std::string request_id = ids->Next();
    Responder tagged = [respond = std::move(respond), request_id](HttpResponse response) {
      response.headers.emplace_back("x-amzn-RequestId", request_id);
      respond(std::move(response));
    };
    const std::string& path = request.path;
    if (!IsValidUtf8(PercentDecode(path, false)) ||
        !IsValidUtf8(PercentDecode(request.query, true))) {
      // Every service echoes parts of the path (an ARN, an operation name) in its answers.
      return tagged(BatchErrorResponse(Status::InvalidArgument(
          "The request path and query string must be valid UTF-8 once percent-decoded")));
    }
    if (path == "/healthz") return tagged(JsonResponse(R"({"status":"ok"})"));
    for (const auto& [prefix, handler] : *public_routes) {
      if (IsAtOrUnder(path, prefix)) return handler(std::move(request), std::move(tagged));
    }
    // Signed for a service gleaner does not simulate (aws iam ..., aws events ...): say so, in
    // that service's error shape, rather than let another service refuse its operation.
    if (std::string service = SignedServiceOf(request);
        !service.empty() && (!IsServedService(service) || (service == "events" && !events))) {
      return tagged(UnsupportedServiceResponse(request, service, request_id));
    }
    if (s3 && (S3Api::IsS3Request(request) || !IsForAnotherService(request, *routes))) {
      return s3->Handle(std::move(request), std::move(request_id), std::move(tagged));
    }
    // Instance metadata, container credentials and task metadata are read unsigned, as on EC2
    // and ECS (the latter two's paths carry a tag only gleaner makes); the agent protocol has its
    // own token.
    if (!path.starts_with(kMetadataPrefix) && !path.starts_with(kAgentPrefix) &&
        !path.starts_with(kCredentialsPrefix) && !path.starts_with(kTaskMetadataPrefix) &&
        !IsMetricsScrape(request, *metrics_token) && !(sessions && sessions->Admit(request))) {
      if (auto refused = Authenticate(request, *authentication, request_id)) {
        return tagged(std::move(*refused));
      }
    }
    for (const auto& [prefix, handler] : *routes) {
      if (path.rfind(prefix, 0) == 0) return handler(std::move(request), std::move(tagged));
    }
    auto target = request.headers.find("x-amz-target");
    if (target != request.headers.end() && target->second.rfind(kLogsTargetPrefix, 0) == 0) {
      return tagged(logs->Handle(target->second.substr(kLogsTargetPrefix.size()), request));
    }
    if (events && target != request.headers.end() &&
        target->second.rfind(kEventsTargetPrefix, 0) == 0) {
      return tagged(events->Handle(target->second.substr(kEventsTargetPrefix.size()), request));
    }
    if (target != request.headers.end() && target->second.rfind(kEcsTargetPrefix, 0) == 0) {
      return ecs->Handle(target->second.substr(kEcsTargetPrefix.size()), request,
                         std::move(tagged));
    }
    if (IsEc2Request(request)) return ec2->Handle(request, request_id, std::move(tagged));
    if (path.rfind(kTagsPrefix, 0) == 0) return RouteTags(request, executor, std::move(tagged));
    if (path.rfind(kBatchPrefix, 0) == 0) return RouteBatch(request, executor, std::move(tagged));
    HttpResponse not_found = BatchErrorResponse(
        Status::InvalidArgument("No service answers " + request.method + " " + path +
                                ": gleaner serves AWS Batch at /v1/<operation>"));
    not_found.status = 404;
    tagged(std::move(not_found));
  };
}

}  // namespace gleaner
