#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/mutex.h"
#include "model/arn.h"

namespace gleaner {

class EventRules;

struct EventsApiOptions {
  ArnScope scope;
  EventRules* rules = nullptr;
  // Takes the events PutEvents accepted (in EventBridge's envelope) to the rules' delivery.
  std::function<void(std::vector<nlohmann::json>)> publish;
};

// The Amazon EventBridge subset on gleaner's one bus, "default" (json-1.1, X-Amz-Target:
// AWSEvents.*): PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule,
// PutTargets, RemoveTargets, ListTargetsByRule, PutEvents and TestEventPattern, with AWS's
// limits and error codes. Targets gleaner can deliver to: a Batch job queue's ARN (with
// BatchParameters) and an http:// or https:// URL (gleaner's stand-in for an API destination).
class EventsApi {
 public:
  EventsApi(const Clock& clock, uint64_t seed, EventsApiOptions options);

  // `operation` is the part of X-Amz-Target after "AWSEvents.".
  HttpResponse Handle(const std::string& operation, const HttpRequest& request);

 private:
  HttpResponse PutRule(const nlohmann::json& body);
  HttpResponse DescribeRule(const nlohmann::json& body);
  HttpResponse ListRules(const nlohmann::json& body);
  HttpResponse DeleteRule(const nlohmann::json& body);
  HttpResponse SetRuleState(const nlohmann::json& body, const std::string& state);
  HttpResponse PutTargets(const nlohmann::json& body);
  HttpResponse RemoveTargets(const nlohmann::json& body);
  HttpResponse ListTargetsByRule(const nlohmann::json& body);
  HttpResponse PutEvents(const nlohmann::json& body);
  HttpResponse TestEventPattern(const nlohmann::json& body);

  const Clock& clock_;
  EventsApiOptions options_;
  Mutex ids_mutex_;
  UuidV7Generator ids_ GLEANER_GUARDED_BY(ids_mutex_);
};

}  // namespace gleaner
