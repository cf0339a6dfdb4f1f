#include "api/ec2_api.h"

#include <cstdint>
#include <functional>
#include <map>
#include <variant>

#include "api/ec2_query.h"
#include "capacity/ec2_cloud.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr char kXmlContentType[] = "text/xml;charset=UTF-8";
constexpr char kFormContentType[] = "application/x-www-form-urlencoded";
constexpr int kDefaultPriceHistoryResults = 1000;

struct Ec2Error {
  std::string code;
  std::string message;
  int http_status = 400;
};

// What an action does on the scheduler thread: the XML inside its <XResponse>.
using Ec2Command = std::function<Result<std::string>(BatchState& state, Ec2Cloud& cloud)>;
using Ec2Parsed = std::variant<Ec2Error, Ec2Command>;

struct Ec2Action {
  const char* name;
  const char* not_found_code;  // the code of a NotFound status (an unknown id)
  Ec2Parsed (*parse)(const Ec2Params& params);
};

Ec2Error InvalidValue(const Status& status) { return {"InvalidParameterValue", status.message()}; }
Ec2Error Missing(const std::string& parameter) {
  return {"MissingParameter", "The request must contain the parameter " + parameter};
}

HttpResponse XmlResponse(std::string body, int status = 200) {
  HttpResponse response;
  response.status = status;
  response.content_type = kXmlContentType;
  response.body = std::move(body);
  return response;
}

HttpResponse ErrorResponse(const Ec2Error& error, const std::string& request_id) {
  return XmlResponse(Ec2ErrorXml(error.code, error.message, request_id), error.http_status);
}

int InstanceStateCode(InstanceState state) {
  switch (state) {
    case InstanceState::kPending:
      return 0;
    case InstanceState::kRunning:
      return 16;
    case InstanceState::kShuttingDown:
      return 32;
    case InstanceState::kTerminated:
      return 48;
  }
  return 48;
}

void WriteInstanceState(XmlWriter& xml, const char* element, InstanceState state) {
  xml.Open(element);
  xml.Element("code", std::to_string(InstanceStateCode(state)));
  xml.Element("name", InstanceStateName(state));
  xml.Close();
}

void WriteGroups(XmlWriter& xml, const SpotLaunchSpecification& launch) {
  if (launch.security_group_ids.empty() && launch.security_groups.empty()) return;
  xml.Open("groupSet");
  for (const std::string& id : launch.security_group_ids) {
    xml.Open("item").Element("groupId", id).Close();
  }
  for (const std::string& name : launch.security_groups) {
    xml.Open("item").Element("groupName", name).Close();
  }
  xml.Close();
}

void WriteIamInstanceProfile(XmlWriter& xml, const SpotLaunchSpecification& launch) {
  if (launch.iam_instance_profile_arn.empty() && launch.iam_instance_profile_name.empty()) return;
  xml.Open("iamInstanceProfile");
  xml.ElementIfNotEmpty("arn", launch.iam_instance_profile_arn);
  xml.ElementIfNotEmpty("name", launch.iam_instance_profile_name);
  xml.Close();
}

void WriteSpotInstanceRequest(XmlWriter& xml, const SpotInstanceRequest& request) {
  const SpotLaunchSpecification& launch = request.launch_specification;
  xml.Open("item");
  xml.Element("spotInstanceRequestId", request.spot_instance_request_id);
  xml.Element("spotPrice", FormatUsd(request.spot_price));
  xml.Element("type", request.type);
  xml.Element("state", SpotRequestStateName(request.state));
  xml.Open("status");
  xml.Element("code", request.status_code);
  xml.Element("updateTime", Ec2Time(request.status_update_time));
  xml.Element("message", request.status_message);
  xml.Close();
  xml.Open("launchSpecification");
  xml.ElementIfNotEmpty("imageId", launch.image_id);
  xml.ElementIfNotEmpty("keyName", launch.key_name);
  WriteGroups(xml, launch);
  xml.Element("instanceType", launch.instance_type);
  std::string zone = launch.availability_zone.empty() ? request.launched_availability_zone
                                                      : launch.availability_zone;
  if (!zone.empty()) xml.Open("placement").Element("availabilityZone", zone).Close();
  xml.ElementIfNotEmpty("subnetId", launch.subnet_id);
  WriteIamInstanceProfile(xml, launch);
  xml.Open("monitoring").Element("enabled", "false").Close();
  xml.Close();
  xml.ElementIfNotEmpty("instanceId", request.instance_id);
  xml.Element("createTime", Ec2Time(request.create_time));
  xml.Element("productDescription", "Linux/UNIX");
  if (request.block_duration_minutes) {
    xml.Element("blockDurationMinutes", std::to_string(*request.block_duration_minutes));
  }
  if (request.actual_block_hourly_price) {
    xml.Element("actualBlockHourlyPrice", FormatUsd(*request.actual_block_hourly_price));
  }
  xml.ElementIfNotEmpty("launchedAvailabilityZone", request.launched_availability_zone);
  xml.Element("instanceInterruptionBehavior", "terminate");
  xml.Close();
}

void WriteInstance(XmlWriter& xml, const SimulatedInstance& instance, const Ec2Cloud& cloud) {
  const SpotInstanceRequest* request =
      instance.RequestId().empty() ? nullptr : cloud.FindSpotInstanceRequest(instance.RequestId());
  SpotLaunchSpecification launch =
      request ? request->launch_specification : SpotLaunchSpecification{};
  bool terminated = instance.state == InstanceState::kTerminated;
  xml.Open("item");
  xml.Element("instanceId", instance.instance_id);
  xml.ElementIfNotEmpty("imageId", launch.image_id);
  WriteInstanceState(xml, "instanceState", instance.state);
  xml.Element("privateDnsName", terminated ? "" : "ip-127-0-0-1.ec2.internal");
  xml.Element("dnsName", "");
  if (terminated) {
    // "User initiated (2026-11-24 08:22:00 GMT)", as EC2 writes it.
    std::string at = FormatIso8601Seconds(*instance.terminated_at);
    at = at.substr(0, 10) + " " + at.substr(11, 8) + " GMT";
    // A compute environment's instance is AWS Batch's: it ends on the service's initiative.
    bool by_user = (instance.spot_termination_code == kInstanceTerminatedByUser &&
                    instance.fleet_request_id.empty()) ||
                   instance.state_reason.starts_with("Client.");
    xml.Element("reason", (by_user ? "User initiated (" : "Service initiated (") + at + ")");
  }
  xml.ElementIfNotEmpty("keyName", launch.key_name);
  xml.Element("amiLaunchIndex", "0");
  xml.Element("instanceType", instance.pool.instance_type);
  xml.Element("launchTime", Ec2Time(instance.launched_at));
  xml.Open("placement");
  xml.Element("availabilityZone", instance.pool.availability_zone);
  xml.Element("tenancy", "default");
  xml.Close();
  xml.Open("monitoring").Element("state", "disabled").Close();
  xml.ElementIfNotEmpty("subnetId", launch.subnet_id);
  // Every job runs on this machine: the instance's address is the loopback.
  if (!terminated) xml.Element("privateIpAddress", "127.0.0.1");
  WriteGroups(xml, launch);
  if (instance.purchase == PurchaseOption::kSpot) xml.Element("instanceLifecycle", "spot");
  xml.ElementIfNotEmpty("spotInstanceRequestId", instance.RequestId());
  WriteIamInstanceProfile(xml, launch);
  if (terminated) {
    bool by_user = instance.state_reason.starts_with("Client.");
    bool reclaimed = instance.state_reason.starts_with("Spot");
    std::string code = by_user     ? "Client.UserInitiatedShutdown"
                       : reclaimed ? "Server.SpotInstanceTermination"
                                   : "Client.UserInitiatedShutdown";
    xml.Open("stateReason");
    xml.Element("code", code);
    xml.Element("message", by_user ? instance.state_reason : code + ": " + instance.state_reason);
    xml.Close();
  }
  if (!instance.tags.empty()) {
    xml.Open("tagSet");
    for (const auto& [key, value] : instance.tags) {
      xml.Open("item").Element("key", key).Element("value", value).Close();
    }
    xml.Close();
  }
  xml.Close();
}

// MaxResults/NextToken over a result of `total` entries: [begin, end) and the next token.
struct Page {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};

Result<Page> PageOf(size_t total, std::optional<int> max_results, const std::string& token,
                    std::optional<int> default_limit) {
  Page page;
  if (!token.empty()) {
    if (token.size() < 2 || token[0] != 'o' ||
        token.find_first_not_of("0123456789", 1) != std::string::npos || token.size() > 12) {
      return Status::InvalidArgument("The token '" + token + "' is invalid.");
    }
    page.begin = std::min<size_t>(std::stoull(token.substr(1)), total);
  }
  if (max_results && (*max_results < 5 || *max_results > 1000)) {
    return Status::InvalidArgument("Value (" + std::to_string(*max_results) +
                                   ") for parameter maxResults is invalid. Expect a number "
                                   "between 5 and 1000.");
  }
  std::optional<int> limit = max_results ? max_results : default_limit;
  page.end = limit ? std::min(total, page.begin + static_cast<size_t>(*limit)) : total;
  if (page.end < total) page.next_token = "o" + std::to_string(page.end);
  return page;
}

struct PageParams {
  std::optional<int> max_results;
  std::string next_token;
};

std::variant<Ec2Error, PageParams> ParsePageParams(const Ec2Params& params) {
  Result<std::optional<int>> max_results = Ec2IntegerParam(params, "MaxResults");
  if (!max_results.ok()) return InvalidValue(max_results.status());
  return PageParams{*max_results, Ec2Param(params, "NextToken").value_or("")};
}

Ec2Parsed ParseRequestSpotInstances(const Ec2Params& params) {
  RequestSpotInstancesSpec spec;
  spec.spot_price = Ec2Param(params, "SpotPrice");
  for (const char* name : {"InstanceCount", "BlockDurationMinutes"}) {
    Result<std::optional<int>> value = Ec2IntegerParam(params, name);
    if (!value.ok()) return InvalidValue(value.status());
    if (std::string_view(name) == "InstanceCount") {
      spec.instance_count = value->value_or(1);
    } else {
      spec.block_duration_minutes = *value;
    }
  }
  spec.type = Ec2Param(params, "Type").value_or("one-time");
  std::string behavior = Ec2Param(params, "InstanceInterruptionBehavior").value_or("terminate");
  if (behavior != "terminate") {
    return Ec2Error{"InvalidParameterValue",
                    "InstanceInterruptionBehavior " + behavior +
                        " is not simulated: gleaner's spot instances terminate when reclaimed"};
  }
  auto launch = [&params](const std::string& name) {
    return Ec2Param(params, "LaunchSpecification." + name).value_or("");
  };
  SpotLaunchSpecification& spec_launch = spec.launch_specification;
  spec_launch.image_id = launch("ImageId");
  spec_launch.instance_type = launch("InstanceType");
  spec_launch.key_name = launch("KeyName");
  spec_launch.security_group_ids = Ec2IndexedValues(params, "LaunchSpecification.SecurityGroupId");
  spec_launch.security_groups = Ec2IndexedValues(params, "LaunchSpecification.SecurityGroup");
  spec_launch.availability_zone = launch("Placement.AvailabilityZone");
  spec_launch.subnet_id = launch("SubnetId");
  if (spec_launch.subnet_id.empty()) spec_launch.subnet_id = launch("NetworkInterface.1.SubnetId");
  spec_launch.iam_instance_profile_arn = launch("IamInstanceProfile.Arn");
  spec_launch.iam_instance_profile_name = launch("IamInstanceProfile.Name");
  spec_launch.user_data = launch("UserData");
  if (spec_launch.image_id.empty()) return Missing("LaunchSpecification.ImageId");
  if (spec_launch.instance_type.empty()) return Missing("LaunchSpecification.InstanceType");
  return Ec2Command([spec](BatchState& state, Ec2Cloud& cloud) -> Result<std::string> {
    Result<std::vector<SpotInstanceRequest>> created = cloud.RequestSpotInstances(state, spec);
    if (!created.ok()) return created.status();
    XmlWriter xml;
    xml.Open("spotInstanceRequestSet");
    for (const SpotInstanceRequest& request : *created) WriteSpotInstanceRequest(xml, request);
    return xml.Finish();
  });
}

Ec2Parsed ParseDescribeSpotInstanceRequests(const Ec2Params& params) {
  Result<std::vector<Ec2Filter>> filters = Ec2Filters(params);
  if (!filters.ok()) return InvalidValue(filters.status());
  auto page = ParsePageParams(params);
  if (auto* error = std::get_if<Ec2Error>(&page)) return *error;
  std::vector<std::string> ids = Ec2IndexedValues(params, "SpotInstanceRequestId");
  return Ec2Command([ids, filters = *filters, page = std::get<PageParams>(page)](
                        BatchState&, Ec2Cloud& cloud) -> Result<std::string> {
    auto requests = cloud.DescribeSpotInstanceRequests(ids, filters);
    if (!requests.ok()) return requests.status();
    Result<Page> range = PageOf(requests->size(), page.max_results, page.next_token, {});
    if (!range.ok()) return range.status();
    XmlWriter xml;
    xml.Open("spotInstanceRequestSet");
    for (size_t i = range->begin; i < range->end; ++i) {
      WriteSpotInstanceRequest(xml, *(*requests)[i]);
    }
    xml.Close();
    xml.ElementIfNotEmpty("nextToken", range->next_token);
    return xml.Finish();
  });
}

Ec2Parsed ParseCancelSpotInstanceRequests(const Ec2Params& params) {
  std::vector<std::string> ids = Ec2IndexedValues(params, "SpotInstanceRequestId");
  if (ids.empty()) return Missing("SpotInstanceRequestId");
  return Ec2Command([ids](BatchState&, Ec2Cloud& cloud) -> Result<std::string> {
    auto cancelled = cloud.CancelSpotInstanceRequests(ids);
    if (!cancelled.ok()) return cancelled.status();
    XmlWriter xml;
    xml.Open("spotInstanceRequestSet");
    for (const CancelledSpotInstanceRequest& request : *cancelled) {
      xml.Open("item");
      xml.Element("spotInstanceRequestId", request.spot_instance_request_id);
      xml.Element("state", SpotRequestStateName(request.state));
      xml.Close();
    }
    return xml.Finish();
  });
}

Ec2Parsed ParseDescribeInstances(const Ec2Params& params) {
  Result<std::vector<Ec2Filter>> filters = Ec2Filters(params);
  if (!filters.ok()) return InvalidValue(filters.status());
  auto page = ParsePageParams(params);
  if (auto* error = std::get_if<Ec2Error>(&page)) return *error;
  std::vector<std::string> ids = Ec2IndexedValues(params, "InstanceId");
  return Ec2Command([ids, filters = *filters, page = std::get<PageParams>(page)](
                        BatchState& state, Ec2Cloud& cloud) -> Result<std::string> {
    auto instances = cloud.DescribeInstances(ids, filters);
    if (!instances.ok()) return instances.status();
    Result<Page> range = PageOf(instances->size(), page.max_results, page.next_token, {});
    if (!range.ok()) return range.status();
    XmlWriter xml;
    xml.Open("reservationSet");
    // One reservation per instance: each was launched on its own (a request, a scale-out step).
    for (size_t i = range->begin; i < range->end; ++i) {
      const SimulatedInstance& instance = *(*instances)[i];
      xml.Open("item");
      xml.Element("reservationId", "r-" + instance.instance_id.substr(2));
      xml.Element("ownerId", state.scope().account_id);
      xml.Open("instancesSet");
      WriteInstance(xml, instance, cloud);
      xml.Close().Close();
    }
    xml.Close();
    xml.ElementIfNotEmpty("nextToken", range->next_token);
    return xml.Finish();
  });
}

Ec2Parsed ParseTerminateInstances(const Ec2Params& params) {
  std::vector<std::string> ids = Ec2IndexedValues(params, "InstanceId");
  if (ids.empty()) return Missing("InstanceId");
  return Ec2Command([ids](BatchState& state, Ec2Cloud& cloud) -> Result<std::string> {
    auto changes = cloud.TerminateInstances(state, ids);
    if (!changes.ok()) return changes.status();
    XmlWriter xml;
    xml.Open("instancesSet");
    for (const InstanceStateChange& change : *changes) {
      xml.Open("item");
      xml.Element("instanceId", change.instance_id);
      WriteInstanceState(xml, "currentState", change.current_state);
      WriteInstanceState(xml, "previousState", change.previous_state);
      xml.Close();
    }
    return xml.Finish();
  });
}

Ec2Parsed ParseDescribeSpotPriceHistory(const Ec2Params& params) {
  SpotPriceHistoryQuery query;
  query.instance_types = Ec2IndexedValues(params, "InstanceType");
  query.product_descriptions = Ec2IndexedValues(params, "ProductDescription");
  query.availability_zone = Ec2Param(params, "AvailabilityZone").value_or("");
  for (const char* name : {"StartTime", "EndTime"}) {
    Result<std::optional<EpochMillis>> at = Ec2TimeParam(params, name);
    if (!at.ok()) return InvalidValue(at.status());
    (std::string_view(name) == "StartTime" ? query.start_time : query.end_time) = *at;
  }
  Result<std::vector<Ec2Filter>> filters = Ec2Filters(params);
  if (!filters.ok()) return InvalidValue(filters.status());
  query.filters = std::move(*filters);
  auto page = ParsePageParams(params);
  if (auto* error = std::get_if<Ec2Error>(&page)) return *error;
  return Ec2Command([query, page = std::get<PageParams>(page)](
                        BatchState&, Ec2Cloud& cloud) mutable -> Result<std::string> {
    // Only what this page needs (and one more, to know whether there is a next page).
    Result<Page> first =
        PageOf(SIZE_MAX - 1, page.max_results, page.next_token, kDefaultPriceHistoryResults);
    if (!first.ok()) return first.status();
    query.max_entries = first->end + 1;
    auto history = cloud.DescribeSpotPriceHistory(query);
    if (!history.ok()) return history.status();
    Result<Page> range =
        PageOf(history->size(), page.max_results, page.next_token, kDefaultPriceHistoryResults);
    if (!range.ok()) return range.status();
    XmlWriter xml;
    xml.Open("spotPriceHistorySet");
    for (size_t i = range->begin; i < range->end; ++i) {
      const SpotPriceHistoryEntry& entry = (*history)[i];
      xml.Open("item");
      xml.Element("instanceType", entry.instance_type);
      xml.Element("productDescription", entry.product_description);
      xml.Element("spotPrice", FormatUsd(entry.spot_price));
      xml.Element("timestamp", Ec2Time(entry.timestamp));
      xml.Element("availabilityZone", entry.availability_zone);
      xml.Close();
    }
    xml.Close();
    xml.ElementIfNotEmpty("nextToken", range->next_token);
    return xml.Finish();
  });
}

constexpr Ec2Action kActions[] = {
    {"CancelSpotInstanceRequests", "InvalidSpotInstanceRequestID.NotFound",
     ParseCancelSpotInstanceRequests},
    {"DescribeInstances", "InvalidInstanceID.NotFound", ParseDescribeInstances},
    {"DescribeSpotInstanceRequests", "InvalidSpotInstanceRequestID.NotFound",
     ParseDescribeSpotInstanceRequests},
    {"DescribeSpotPriceHistory", "InvalidParameterValue", ParseDescribeSpotPriceHistory},
    {"RequestSpotInstances", "InvalidParameterValue", ParseRequestSpotInstances},
    {"TerminateInstances", "InvalidInstanceID.NotFound", ParseTerminateInstances},
};

std::string ActionNames() {
  std::string names;
  for (const Ec2Action& action : kActions) {
    names += (names.empty() ? "" : ", ") + std::string(action.name);
  }
  return names;
}

}  // namespace

bool IsEc2Request(const HttpRequest& request) {
  if (request.path != "/") return false;
  auto type = request.headers.find("content-type");
  if (type != request.headers.end() && type->second.starts_with(kFormContentType)) return true;
  return request.body.starts_with("Action=") ||
         request.body.find("&Action=") != std::string::npos ||
         request.query.starts_with("Action=") ||
         request.query.find("&Action=") != std::string::npos;
}

void Ec2Api::Handle(const HttpRequest& request, const std::string& request_id, Responder respond) {
  if (request.body_too_large) {
    return respond(
        ErrorResponse({"InvalidParameterValue", "The request body is too large"}, request_id));
  }
  Ec2Params params = ParseEc2Params(request.body, request.query);
  std::string action_name = Ec2Param(params, "Action").value_or("");
  if (action_name.empty()) return respond(ErrorResponse(Missing("Action"), request_id));
  const Ec2Action* action = nullptr;
  for (const Ec2Action& candidate : kActions) {
    if (action_name == candidate.name) action = &candidate;
  }
  if (action == nullptr) {
    return respond(ErrorResponse(
        {"InvalidAction", "The action " + action_name +
                              " is not valid for this web service. gleaner's simulated EC2 "
                              "answers: " +
                              ActionNames() + "."},
        request_id));
  }
  if (cloud_ == nullptr) {
    return respond(ErrorResponse({"UnsupportedOperation",
                                  "EC2 actions need the simulated cloud: start gleaner with "
                                  "--capacity simspot (this server runs --capacity local)."},
                                 request_id));
  }
  Ec2Parsed parsed = action->parse(params);
  if (auto* error = std::get_if<Ec2Error>(&parsed)) {
    return respond(ErrorResponse(*error, request_id));
  }
  Result<bool> dry_run = Ec2BooleanParam(params, "DryRun");
  if (!dry_run.ok()) return respond(ErrorResponse(InvalidValue(dry_run.status()), request_id));
  if (*dry_run) {
    return respond(ErrorResponse(
        {"DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412},
        request_id));
  }
  Ec2Cloud* cloud = cloud_;
  executor_.Execute(
      [cloud,
       command = std::move(std::get<Ec2Command>(parsed))](BatchState& state) -> Result<json> {
        Result<std::string> inner = command(state, *cloud);
        if (!inner.ok()) return inner.status();
        return json(std::move(*inner));
      },
      [respond, request_id, action = *action](Result<json> result) {
        if (result.ok()) {
          return respond(XmlResponse(
              Ec2ResponseXml(action.name, request_id, result->get_ref<const std::string&>())));
        }
        const Status& status = result.status();
        Ec2Error error{"InvalidParameterValue", status.message()};
        if (status.code() == StatusCode::kNotFound) error.code = action.not_found_code;
        if (!status.IsClientError()) error = {"InternalError", status.message(), 500};
        respond(ErrorResponse(error, request_id));
      });
}

}  // namespace gleaner
