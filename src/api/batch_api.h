#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/batch_executor.h"
#include "api/browser_sessions.h"
#include "api/http_server.h"
#include "api/request_authentication.h"
#include "api/request_metrics.h"
#include "api/s3_api.h"

namespace gleaner {

class Ec2Cloud;
class EventsApi;

struct GleanerApiOptions {
  std::string log_directory;  // where attempt logs live, for the CloudWatch Logs subset
  // More services on the same endpoint, by path prefix ("/imds/", "/gleaner/v1/interrupt"),
  // tried before the Batch routes.
  std::vector<std::pair<std::string, HttpHandler>> routes;
  // The simulated cloud behind EC2 (and what ECS knows of instances); null with local capacity.
  Ec2Cloud* cloud = nullptr;
  // Every request must be signed with one of these keys, except /healthz, instance metadata
  // (/imds/, which jobs read unsigned as on EC2) and the agent protocol (its own token and
  // credentials).
  RequestAuthentication authentication;
  // Amazon S3 (requests signed for "s3" or sent to an S3 host name) over this store; null: none.
  ObjectStore* objects = nullptr;
  S3ApiOptions s3;
  // Amazon EventBridge (X-Amz-Target: AWSEvents.*); null: refused as a service gleaner does not
  // simulate.
  std::shared_ptr<EventsApi> events;
  // Told of every answer (metrics); null: nothing is.
  RequestObserver observe_request;
  // GET /metrics is also served to `Authorization: Bearer <metrics_token>` (Prometheus cannot sign
  // requests); empty: only to signed requests.
  std::string metrics_token;
  // Served to anyone, before any signature is checked, by path (the prefix itself or anything
  // under "<prefix>/"): the dashboard's files and its sign-in.
  std::vector<std::pair<std::string, HttpHandler>> public_routes;
  // Browsers signed in to the dashboard: a live session cookie stands in for a signature
  // (BrowserSessions says when). Null: only signed requests are admitted.
  std::shared_ptr<BrowserSessions> sessions;
};

// The one HTTP handler behind gleaner's endpoint: AWS Batch (rest-json, POST /v1/<operation> and
// /v1/tags/<arn>), Amazon S3 (its REST API), the CloudWatch Logs subset (json-1.1, X-Amz-Target:
// Logs_20140328.*), the ECS subset (json-1.1, X-Amz-Target: AmazonEC2ContainerServiceV20141113.*),
// the EC2 subset (query protocol, form-encoded POST / with Action=...) and /healthz. Every response
// carries x-amzn-RequestId; every error is shaped as its service's clients expect (JSON, EC2's
// XML).
HttpHandler MakeGleanerHttpHandler(BatchExecutor& executor, GleanerApiOptions options);

}  // namespace gleaner
