#include "api/events_api.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "api/aws_errors.h"
#include "events/event_pattern.h"
#include "events/event_rules.h"
#include "events/target_input.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr size_t kMaxPatternLength = 4096;
constexpr size_t kMaxTargetsPerRule = 5;
constexpr size_t kMaxEntriesPerCall = 10;
constexpr double kLatestTimeSeconds = 253'402'300'800;  // 10000-01-01T00:00:00Z
constexpr char kNamePattern[] = "[\\.\\-_A-Za-z0-9]+";

HttpResponse Ok(const json& body) {
  return JsonResponse(DumpJson(body), "application/x-amz-json-1.1");
}

HttpResponse Validation(const std::string& message) {
  return JsonProtocolError("ValidationException", message);
}

// AWS's wording for a field that breaks a shape rule.
HttpResponse ConstraintViolation(const std::string& value, const std::string& field,
                                 const std::string& rule) {
  return Validation("1 validation error detected: Value '" + value + "' at '" + field +
                    "' failed to satisfy constraint: " + rule);
}

bool IsName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '.' || c == '-' || c == '_';
         });
}

std::string StringMember(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An error response when `field` is missing, not a string or breaks the name rule.
std::optional<HttpResponse> CheckName(const json& body, const char* field,
                                      const std::string& where) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string()) {
    return Validation("1 validation error detected: Value null at '" + where +
                      "' failed to satisfy constraint: Member must not be null");
  }
  const std::string& name = it->get_ref<const std::string&>();
  if (!IsName(name)) {
    return ConstraintViolation(name, where,
                               std::string("Member must satisfy regular expression pattern: ") +
                                   kNamePattern + " and have length between 1 and 64");
  }
  return std::nullopt;
}

// Only the default bus exists; an error response for any other.
std::optional<HttpResponse> CheckEventBus(const json& body) {
  std::string bus = StringMember(body, "EventBusName");
  if (bus.empty() || bus == "default" || bus.ends_with(":event-bus/default")) return std::nullopt;
  return JsonProtocolError("ResourceNotFoundException",
                           "Event bus " + bus +
                               " does not exist. gleaner has one event bus, "
                               "default.");
}

HttpResponse RuleNotFound(const std::string& name) {
  return JsonProtocolError("ResourceNotFoundException",
                           "Rule " + name + " does not exist on EventBus default.");
}

HttpResponse StoreError(const Status& status) {
  if (status.code() == StatusCode::kNotFound) {
    return JsonProtocolError("ResourceNotFoundException", status.message());
  }
  if (status.code() == StatusCode::kFailedPrecondition) return Validation(status.message());
  return JsonProtocolError("InternalException", status.message(), 500);
}

// The reason a target cannot be delivered to, or "" when gleaner can deliver to it.
std::string TargetProblem(const json& target) {
  const std::string arn = StringMember(target, "Arn");
  if (Status input = CheckTargetInput(target); !input.ok()) return input.message();
  if (arn.starts_with("http://") || arn.starts_with("https://")) {
    if (arn.find('/', arn.find("//") + 2) == std::string::npos && arn.size() <= 8) {
      return "Arn " + arn + " is not a URL";
    }
    return "";
  }
  if (!ArnResourceName(arn, "job-queue").empty() && arn.find(":batch:") != std::string::npos) {
    auto parameters = target.find("BatchParameters");
    if (parameters == target.end() || !parameters->is_object() ||
        StringMember(*parameters, "JobDefinition").empty() ||
        StringMember(*parameters, "JobName").empty()) {
      return "A Batch job queue target needs BatchParameters with JobDefinition and JobName.";
    }
    return "";
  }
  if (arn.find(":api-destination/") != std::string::npos) {
    return "API destinations are not supported yet: give the endpoint's http:// or https:// URL "
           "as the target's Arn";
  }
  size_t service = arn.find(':', 4);
  std::string name = LooksLikeArn(arn) && service != std::string::npos
                         ? arn.substr(service + 1, arn.find(':', service + 1) - service - 1)
                         : "";
  return "gleaner cannot deliver to " + (name.empty() ? "\"" + arn + "\"" : name + " targets") +
         ": they need AWS. It delivers to Batch job queues (their ARN, with BatchParameters) and "
         "to HTTP endpoints (an http:// or https:// URL as the Arn).";
}

// An entry's Time (epoch seconds, as the SDKs send a timestamp), or `now` without one; nullopt
// when it is not a time: not a number, negative, or past the year 9999.
std::optional<EpochMillis> TimeOf(const json& entry, EpochMillis now) {
  auto time = entry.find("Time");
  if (time == entry.end()) return now;
  if (!time->is_number()) return std::nullopt;
  double seconds = time->get<double>();
  if (!(seconds >= 0 && seconds < kLatestTimeSeconds)) return std::nullopt;
  return static_cast<EpochMillis>(seconds * 1000);
}

json DescribeJson(const EventRule& rule, const ArnScope& scope) {
  json described = {{"Name", rule.name},
                    {"Arn", scope.Resource("events", "rule/" + rule.name)},
                    {"State", rule.state},
                    {"EventBusName", "default"},
                    {"CreatedBy", scope.account_id}};
  if (!rule.event_pattern.empty()) described["EventPattern"] = rule.event_pattern;
  if (!rule.description.empty()) described["Description"] = rule.description;
  if (!rule.role_arn.empty()) described["RoleArn"] = rule.role_arn;
  return described;
}

}  // namespace

EventsApi::EventsApi(const Clock& clock, uint64_t seed, EventsApiOptions options)
    : clock_(clock), options_(std::move(options)), ids_(clock, seed) {}

HttpResponse EventsApi::Handle(const std::string& operation, const HttpRequest& request) {
  Result<json> parsed = request.body.empty() ? json::object() : ParseJsonText(request.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return JsonProtocolError("SerializationException", "The request body is not a JSON object");
  }
  const json& body = *parsed;
  if (auto wrong_bus = CheckEventBus(body)) return *wrong_bus;
  if (operation == "PutRule") return PutRule(body);
  if (operation == "DescribeRule") return DescribeRule(body);
  if (operation == "ListRules") return ListRules(body);
  if (operation == "DeleteRule") return DeleteRule(body);
  if (operation == "EnableRule") return SetRuleState(body, "ENABLED");
  if (operation == "DisableRule") return SetRuleState(body, "DISABLED");
  if (operation == "PutTargets") return PutTargets(body);
  if (operation == "RemoveTargets") return RemoveTargets(body);
  if (operation == "ListTargetsByRule") return ListTargetsByRule(body);
  if (operation == "PutEvents") return PutEvents(body);
  if (operation == "TestEventPattern") return TestEventPattern(body);
  return JsonProtocolError(
      "UnknownOperationException",
      "gleaner's EventBridge subset serves PutRule, DescribeRule, ListRules, DeleteRule, "
      "EnableRule, DisableRule, PutTargets, RemoveTargets, ListTargetsByRule, PutEvents and "
      "TestEventPattern, not " +
          operation);
}

HttpResponse EventsApi::PutRule(const json& body) {
  if (auto refused = CheckName(body, "Name", "name")) return *refused;
  EventRule rule;
  rule.name = body["Name"].get<std::string>();
  rule.event_pattern = StringMember(body, "EventPattern");
  rule.description = StringMember(body, "Description");
  rule.role_arn = StringMember(body, "RoleArn");
  if (body.contains("ScheduleExpression")) {
    return Validation(
        "ScheduleExpression is not supported yet: gleaner's rules match events "
        "(EventPattern); scheduled rules do not run");
  }
  if (rule.event_pattern.empty()) {
    return Validation("Parameter(s) EventPattern or ScheduleExpression must be specified.");
  }
  if (rule.event_pattern.size() > kMaxPatternLength) {
    return ConstraintViolation("...", "eventPattern",
                               "Member must have length less than or equal to 4096");
  }
  if (Result<EventPattern> pattern = EventPattern::Parse(rule.event_pattern); !pattern.ok()) {
    return JsonProtocolError("InvalidEventPatternException",
                             "Event pattern is not valid. Reason: " + pattern.status().message());
  }
  std::string state = StringMember(body, "State");
  if (!state.empty() && state != "ENABLED" && state != "DISABLED") {
    return ConstraintViolation(state, "state",
                               "Member must satisfy enum value set: [ENABLED, DISABLED]");
  }
  rule.state = state.empty() ? "ENABLED" : state;
  if (auto tags = body.find("Tags"); tags != body.end()) {
    if (!tags->is_array()) return Validation("Tags must be a list of {Key, Value}");
    for (const json& tag : *tags) {
      if (!tag.is_object() || StringMember(tag, "Key").empty() || !tag.contains("Value") ||
          !tag["Value"].is_string()) {
        return Validation("Each of Tags must have a Key and a Value");
      }
    }
    rule.tags = *tags;
  }
  std::string name = rule.name;
  if (Status put = options_.rules->Put(std::move(rule)); !put.ok()) return StoreError(put);
  return Ok({{"RuleArn", options_.scope.Resource("events", "rule/" + name)}});
}

HttpResponse EventsApi::DescribeRule(const json& body) {
  if (auto refused = CheckName(body, "Name", "name")) return *refused;
  std::string name = body["Name"].get<std::string>();
  std::optional<EventRule> rule = options_.rules->Get(name);
  if (!rule) return RuleNotFound(name);
  return Ok(DescribeJson(*rule, options_.scope));
}

HttpResponse EventsApi::ListRules(const json& body) {
  int64_t limit = 100;
  if (auto given = body.find("Limit"); given != body.end()) {
    if (!given->is_number_integer() || *given < 1 || *given > 100) {
      return ConstraintViolation(DumpJson(*given), "limit",
                                 "Member must have value between 1 and 100");
    }
    limit = given->get<int64_t>();
  }
  std::string after = StringMember(body, "NextToken");
  json rules = json::array();
  std::string next;
  for (const EventRule& rule : options_.rules->List(StringMember(body, "NamePrefix"))) {
    if (!after.empty() && rule.name <= after) continue;
    if (static_cast<int64_t>(rules.size()) == limit) {
      next = rules.back()["Name"].get<std::string>();
      break;
    }
    rules.push_back(DescribeJson(rule, options_.scope));
  }
  json answer = {{"Rules", rules}};
  if (!next.empty()) answer["NextToken"] = next;
  return Ok(answer);
}

HttpResponse EventsApi::DeleteRule(const json& body) {
  if (auto refused = CheckName(body, "Name", "name")) return *refused;
  Status deleted = options_.rules->Delete(body["Name"].get<std::string>());
  // Deleting a rule that is not there succeeds, as on AWS.
  if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return StoreError(deleted);
  return Ok(json::object());
}

HttpResponse EventsApi::SetRuleState(const json& body, const std::string& state) {
  if (auto refused = CheckName(body, "Name", "name")) return *refused;
  std::string name = body["Name"].get<std::string>();
  Status set = options_.rules->SetState(name, state);
  if (set.code() == StatusCode::kNotFound) return RuleNotFound(name);
  if (!set.ok()) return StoreError(set);
  return Ok(json::object());
}

HttpResponse EventsApi::PutTargets(const json& body) {
  if (auto refused = CheckName(body, "Rule", "rule")) return *refused;
  std::string name = body["Rule"].get<std::string>();
  auto targets = body.find("Targets");
  if (targets == body.end() || !targets->is_array() || targets->empty() || targets->size() > 10) {
    return ConstraintViolation(targets == body.end() ? "null" : "[...]", "targets",
                               "Member must have length between 1 and 10");
  }
  std::optional<EventRule> rule = options_.rules->Get(name);
  if (!rule) return RuleNotFound(name);
  std::vector<json> accepted;
  json failed = json::array();
  std::map<std::string, json> after = rule->targets;
  for (size_t i = 0; i < targets->size(); ++i) {
    const json& target = (*targets)[i];
    std::string where = "targets." + std::to_string(i + 1) + ".member";
    if (!target.is_object()) return Validation(where + " must be a structure");
    if (auto refused = CheckName(target, "Id", where + ".id")) return *refused;
    if (StringMember(target, "Arn").empty()) {
      return Validation("1 validation error detected: Value null at '" + where +
                        ".arn' failed to satisfy constraint: Member must not be null");
    }
    std::string id = target["Id"].get<std::string>();
    if (std::string problem = TargetProblem(target); !problem.empty()) {
      failed.push_back(
          {{"TargetId", id}, {"ErrorCode", "ValidationException"}, {"ErrorMessage", problem}});
      continue;
    }
    accepted.push_back(target);
    after[id] = target;
  }
  if (after.size() > kMaxTargetsPerRule) {
    return JsonProtocolError("LimitExceededException",
                             "The requested resource exceeds the maximum number allowed: a rule "
                             "has at most 5 targets.");
  }
  if (!accepted.empty()) {
    if (Status put = options_.rules->PutTargets(name, accepted); !put.ok()) {
      return put.code() == StatusCode::kNotFound ? RuleNotFound(name) : StoreError(put);
    }
  }
  return Ok({{"FailedEntryCount", failed.size()}, {"FailedEntries", failed}});
}

HttpResponse EventsApi::RemoveTargets(const json& body) {
  if (auto refused = CheckName(body, "Rule", "rule")) return *refused;
  std::string name = body["Rule"].get<std::string>();
  auto ids = body.find("Ids");
  if (ids == body.end() || !ids->is_array() || ids->empty() || ids->size() > 100) {
    return ConstraintViolation(ids == body.end() ? "null" : "[...]", "ids",
                               "Member must have length between 1 and 100");
  }
  std::vector<std::string> names;
  for (const json& id : *ids) {
    if (!id.is_string()) return Validation("Ids must be strings");
    names.push_back(id.get<std::string>());
  }
  Status removed = options_.rules->RemoveTargets(name, names);
  if (removed.code() == StatusCode::kNotFound) return RuleNotFound(name);
  if (!removed.ok()) return StoreError(removed);
  return Ok({{"FailedEntryCount", 0}, {"FailedEntries", json::array()}});
}

HttpResponse EventsApi::ListTargetsByRule(const json& body) {
  if (auto refused = CheckName(body, "Rule", "rule")) return *refused;
  std::string name = body["Rule"].get<std::string>();
  std::optional<EventRule> rule = options_.rules->Get(name);
  if (!rule) return RuleNotFound(name);
  json targets = json::array();
  for (const auto& [id, target] : rule->targets) targets.push_back(target);
  return Ok({{"Targets", targets}});
}

HttpResponse EventsApi::PutEvents(const json& body) {
  auto entries = body.find("Entries");
  if (entries == body.end() || !entries->is_array() || entries->empty() ||
      entries->size() > kMaxEntriesPerCall) {
    return ConstraintViolation(entries == body.end() ? "null" : "[...]", "entries",
                               "Member must have length between 1 and 10");
  }
  json results = json::array();
  std::vector<json> accepted;
  int failed = 0;
  for (const json& entry : *entries) {
    auto fail = [&](const std::string& code, const std::string& message) {
      results.push_back({{"ErrorCode", code}, {"ErrorMessage", message}});
      ++failed;
    };
    if (!entry.is_object()) {
      fail("InvalidArgument", "An entry must be a structure.");
      continue;
    }
    std::string source = StringMember(entry, "Source");
    std::string detail_type = StringMember(entry, "DetailType");
    std::string detail_text = StringMember(entry, "Detail");
    if (auto bus = CheckEventBus(entry)) {
      fail("InvalidArgument", "Parameter EventBusName is not valid: gleaner has one bus, default.");
    } else if (source.empty()) {
      fail("InvalidArgument",
           "Parameter Source is not valid. Reason: Source is a required "
           "argument.");
    } else if (detail_type.empty()) {
      fail("InvalidArgument",
           "Parameter DetailType is not valid. Reason: DetailType is a "
           "required argument.");
    } else if (detail_text.empty()) {
      fail("InvalidArgument",
           "Parameter Detail is not valid. Reason: Detail is a required "
           "argument.");
    } else if (source.starts_with("aws.")) {
      fail("NotAuthorizedForSourceException",
           "Not authorized for the source " + source + ": sources that begin with aws. are AWS's.");
    } else if (!TimeOf(entry, clock_.NowMillis())) {
      fail("InvalidArgument",
           "Parameter Time is not valid: it must be a time in seconds since 1970, before 10000.");
    } else if (Result<json> detail = ParseJsonText(detail_text);
               !detail.ok() || !detail->is_object()) {
      fail("MalformedDetail", "Detail is malformed: it must be a JSON object.");
    } else {
      EpochMillis at = *TimeOf(entry, clock_.NowMillis());
      json resources = entry.value("Resources", json::array());
      if (!resources.is_array()) resources = json::array();
      std::string id;
      {
        MutexLock lock(ids_mutex_);
        id = ids_.Next();
      }
      accepted.push_back({{"version", "0"},
                          {"id", id},
                          {"detail-type", detail_type},
                          {"source", source},
                          {"account", options_.scope.account_id},
                          {"time", FormatIso8601Seconds(at)},
                          {"region", options_.scope.region},
                          {"resources", resources},
                          {"detail", std::move(*detail)}});
      results.push_back({{"EventId", id}});
    }
  }
  if (!accepted.empty() && options_.publish) options_.publish(std::move(accepted));
  return Ok({{"FailedEntryCount", failed}, {"Entries", results}});
}

HttpResponse EventsApi::TestEventPattern(const json& body) {
  std::string pattern_text = StringMember(body, "EventPattern");
  Result<EventPattern> pattern = EventPattern::Parse(pattern_text);
  if (!pattern.ok()) {
    return JsonProtocolError("InvalidEventPatternException",
                             "Event pattern is not valid. Reason: " + pattern.status().message());
  }
  Result<json> event = ParseJsonText(StringMember(body, "Event"));
  if (!event.ok() || !event->is_object()) {
    return Validation("Parameter Event is not valid: it must be a JSON object.");
  }
  for (const char* field : {"id", "account", "source", "time", "region", "detail-type"}) {
    if (!event->contains(field)) {
      return Validation(std::string("Parameter Event is not valid: it has no \"") + field +
                        "\" field.");
    }
  }
  return Ok({{"Result", pattern->Matches(*event)}});
}

}  // namespace gleaner
