// SimulatedCloud: the EC2 API's Describe* actions — spot instance requests, instances and the
// spot price history — with EC2's filters.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "capacity/simulated_cloud.h"
#include "common/glob.h"

namespace gleaner {
namespace {

constexpr int64_t kDefaultPriceHistoryMillis = 3 * 3'600'000;
constexpr int64_t kPriceHistoryLimitMillis = 90LL * 24 * 3'600'000;  // AWS keeps 90 days
constexpr char kLinuxUnix[] = "Linux/UNIX";
constexpr char kLinuxUnixVpc[] = "Linux/UNIX (Amazon VPC)";

// The values a resource has for one filter name; nullopt when the name is not a filter here.
using FilterFields =
    std::function<std::optional<std::vector<std::string>>(const std::string& name)>;

// Filters AND together; the values of one filter OR together.
Result<bool> MatchesFilters(const std::vector<Ec2Filter>& filters, const FilterFields& fields) {
  for (const Ec2Filter& filter : filters) {
    std::optional<std::vector<std::string>> values = fields(filter.name);
    bool tag =
        filter.name.starts_with("tag:") || filter.name == "tag-key" || filter.name == "tag-value";
    if (!values && tag) return false;  // a resource without tags
    if (!values) return Status::InvalidArgument("The filter '" + filter.name + "' is invalid");
    bool any = false;
    for (const std::string& pattern : filter.values) {
      for (const std::string& value : *values) {
        if (MatchesFilterValue(pattern, value)) any = true;
      }
    }
    if (!any) return false;
  }
  return true;
}

// Checks every filter name once, so an unknown one is an error even when nothing is described.
Status CheckFilterNames(const std::vector<Ec2Filter>& filters, const FilterFields& fields) {
  for (const Ec2Filter& filter : filters) {
    if (filter.name.starts_with("tag:") || filter.name == "tag-key" || filter.name == "tag-value") {
      continue;
    }
    if (!fields(filter.name)) {
      return Status::InvalidArgument("The filter '" + filter.name + "' is invalid");
    }
  }
  return Status::Ok();
}

std::optional<std::vector<std::string>> SpotRequestFields(const SpotInstanceRequest& request,
                                                          const std::string& name) {
  using Values = std::vector<std::string>;
  if (name == "state") return Values{SpotRequestStateName(request.state)};
  if (name == "status-code") return Values{request.status_code};
  if (name == "status-message") return Values{request.status_message};
  if (name == "instance-id") return Values{request.instance_id};
  if (name == "spot-instance-request-id") return Values{request.spot_instance_request_id};
  if (name == "type") return Values{request.type};
  if (name == "spot-price") return Values{FormatUsd(request.spot_price)};
  if (name == "launched-availability-zone") return Values{request.launched_availability_zone};
  if (name == "product-description") return Values{kLinuxUnix};
  const SpotLaunchSpecification& launch = request.launch_specification;
  if (name == "launch.instance-type") return Values{launch.instance_type};
  if (name == "launch.image-id") return Values{launch.image_id};
  if (name == "launch.key-name") return Values{launch.key_name};
  if (name == "launch.group-id") return launch.security_group_ids;
  if (name == "launch.group-name") return launch.security_groups;
  return std::nullopt;
}

std::optional<std::vector<std::string>> InstanceFields(const SimulatedInstance& instance,
                                                       const std::string& name) {
  using Values = std::vector<std::string>;
  if (name == "instance-state-name") return Values{InstanceStateName(instance.state)};
  if (name == "instance-state-code") {
    static const std::map<InstanceState, std::string> kCodes = {
        {InstanceState::kPending, "0"},
        {InstanceState::kRunning, "16"},
        {InstanceState::kShuttingDown, "32"},
        {InstanceState::kTerminated, "48"}};
    return Values{kCodes.at(instance.state)};
  }
  if (name == "instance-lifecycle") {
    // On-demand instances have no lifecycle: no value matches them.
    return instance.purchase == PurchaseOption::kSpot ? Values{"spot"} : Values{};
  }
  if (name == "instance-type") return Values{instance.pool.instance_type};
  if (name == "availability-zone") return Values{instance.pool.availability_zone};
  if (name == "instance-id") return Values{instance.instance_id};
  if (name == "spot-instance-request-id") return Values{instance.RequestId()};
  if (name == "private-ip-address") return Values{"127.0.0.1"};
  if (name.starts_with("tag:")) {
    auto tag = instance.tags.find(name.substr(4));
    return tag == instance.tags.end() ? Values{} : Values{tag->second};
  }
  if (name == "tag-key" || name == "tag-value") {
    Values values;
    for (const auto& [key, value] : instance.tags)
      values.push_back(name == "tag-key" ? key : value);
    return values;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> PriceFields(const SpotPriceHistoryEntry& entry,
                                                    const std::string& name) {
  using Values = std::vector<std::string>;
  if (name == "availability-zone") return Values{entry.availability_zone};
  if (name == "instance-type") return Values{entry.instance_type};
  if (name == "product-description") return Values{entry.product_description};
  if (name == "spot-price") return Values{FormatUsd(entry.spot_price)};
  return std::nullopt;
}

}  // namespace

std::string FormatUsd(MicroUsdPerHour price) {
  std::string micros = std::to_string(price % 1'000'000);
  return std::to_string(price / 1'000'000) + "." + std::string(6 - micros.size(), '0') + micros;
}

bool MatchesFilterValue(const std::string& pattern, const std::string& value) {
  return MatchesGlob(pattern, value, /*question_mark_is_wild=*/true);
}

Result<std::vector<const SpotInstanceRequest*>> SimulatedCloud::DescribeSpotInstanceRequests(
    const std::vector<std::string>& spot_instance_request_ids,
    const std::vector<Ec2Filter>& filters) const {
  GLEANER_RETURN_IF_ERROR(CheckFilterNames(filters, [](const std::string& name) {
    return SpotRequestFields(SpotInstanceRequest{}, name);
  }));
  std::vector<const SpotInstanceRequest*> chosen;
  if (!spot_instance_request_ids.empty()) {
    std::set<std::string> seen;
    for (const std::string& id : spot_instance_request_ids) {
      const SpotInstanceRequest* request = FindSpotInstanceRequest(id);
      if (request == nullptr) {
        return Status::NotFound("The spot instance request ID '" + id + "' does not exist");
      }
      if (seen.insert(id).second) chosen.push_back(request);
    }
  } else {
    for (const auto& [id, request] : spot_requests_) chosen.push_back(&request);
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const auto* a, const auto* b) { return a->sequence < b->sequence; });
  std::vector<const SpotInstanceRequest*> out;
  for (const SpotInstanceRequest* request : chosen) {
    Result<bool> matches = MatchesFilters(
        filters, [request](const std::string& name) { return SpotRequestFields(*request, name); });
    if (!matches.ok()) return matches.status();
    if (*matches) out.push_back(request);
  }
  return out;
}

Result<std::vector<const SimulatedInstance*>> SimulatedCloud::DescribeInstances(
    const std::vector<std::string>& instance_ids, const std::vector<Ec2Filter>& filters) const {
  GLEANER_RETURN_IF_ERROR(CheckFilterNames(
      filters, [](const std::string& name) { return InstanceFields(SimulatedInstance{}, name); }));
  std::vector<const SimulatedInstance*> chosen;
  if (!instance_ids.empty()) {
    std::vector<std::string> unknown;
    std::set<std::string> seen;
    for (const std::string& id : instance_ids) {
      const SimulatedInstance* instance = FindInstance(id);
      if (instance == nullptr || instance->pool.instance_type == kFargateInstanceType) {
        unknown.push_back(id);
      } else if (seen.insert(id).second) {
        chosen.push_back(instance);
      }
    }
    if (!unknown.empty()) {
      std::string list;
      for (const std::string& id : unknown) list += (list.empty() ? "" : ", ") + id;
      return Status::NotFound(unknown.size() == 1 ? "The instance ID '" + list + "' does not exist"
                                                  : "The instance IDs '" + list + "' do not exist");
    }
  } else {
    for (const auto& [id, instance] : instances_) {
      if (instance.pool.instance_type != kFargateInstanceType) chosen.push_back(&instance);
    }
  }
  std::sort(chosen.begin(), chosen.end(), [](const auto* a, const auto* b) {
    return std::tie(a->launched_at, a->instance_id) < std::tie(b->launched_at, b->instance_id);
  });
  std::vector<const SimulatedInstance*> out;
  for (const SimulatedInstance* instance : chosen) {
    Result<bool> matches = MatchesFilters(
        filters, [instance](const std::string& name) { return InstanceFields(*instance, name); });
    if (!matches.ok()) return matches.status();
    if (*matches) out.push_back(instance);
  }
  return out;
}

Result<std::vector<SpotPriceHistoryEntry>> SimulatedCloud::DescribeSpotPriceHistory(
    const SpotPriceHistoryQuery& query) const {
  GLEANER_RETURN_IF_ERROR(CheckFilterNames(query.filters, [](const std::string& name) {
    return PriceFields(SpotPriceHistoryEntry{}, name);
  }));
  std::vector<const InstanceType*> types;
  if (query.instance_types.empty()) {
    for (const auto& [name, type] : catalog_.types()) types.push_back(&type);
  } else {
    for (const std::string& name : query.instance_types) {
      const InstanceType* type = catalog_.Find(name);
      if (type == nullptr) {
        return Status::InvalidArgument("Invalid value '" + name + "' for InstanceType.");
      }
      if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
    }
    std::sort(types.begin(), types.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
  }
  std::erase_if(types, [](const InstanceType* type) { return !type->spot; });
  std::vector<std::string> zones = AvailabilityZones();
  if (!query.availability_zone.empty()) {
    if (std::find(zones.begin(), zones.end(), query.availability_zone) == zones.end()) {
      return Status::InvalidArgument("Invalid availability zone: [" + query.availability_zone +
                                     "]");
    }
    zones = {query.availability_zone};
  }
  // Only Linux is simulated: other product descriptions (Windows, SUSE, ...) have no prices here.
  std::vector<std::string> descriptions;
  if (query.product_descriptions.empty()) descriptions = {kLinuxUnix};
  for (const std::string& description : query.product_descriptions) {
    if ((description == kLinuxUnix || description == kLinuxUnixVpc) &&
        std::find(descriptions.begin(), descriptions.end(), description) == descriptions.end()) {
      descriptions.push_back(description);
    }
  }
  EpochMillis now = clock_.NowMillis();
  EpochMillis end = std::min(query.end_time.value_or(now), now);  // no prices from the future
  EpochMillis start = query.start_time.value_or(end - kDefaultPriceHistoryMillis);
  if (query.start_time && query.end_time && *query.start_time > *query.end_time) {
    return Status::InvalidArgument("The start time must be before the end time.");
  }
  start = std::max(start, now - kPriceHistoryLimitMillis);
  std::vector<SpotPriceHistoryEntry> out;
  const int64_t period = SpotPriceModel::kPricePeriodMillis;
  // The price in effect at `start` counts too: its period may have begun before it.
  for (EpochMillis at = end / period * period; at + period > start && at <= end; at -= period) {
    for (const InstanceType* type : types) {
      for (const std::string& zone : zones) {
        std::optional<MicroUsdPerHour> price = prices_.SpotPrice({type->name, zone}, at);
        if (!price) continue;
        for (const std::string& description : descriptions) {
          SpotPriceHistoryEntry entry{type->name, zone, description, *price, at};
          Result<bool> matches = MatchesFilters(query.filters, [&entry](const std::string& name) {
            return PriceFields(entry, name);
          });
          if (!matches.ok()) return matches.status();
          if (*matches) out.push_back(std::move(entry));
          if (query.max_entries && out.size() >= *query.max_entries) return out;
        }
      }
    }
  }
  return out;
}

}  // namespace gleaner
