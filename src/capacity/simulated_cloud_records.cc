// SimulatedCloud's durable state (CapacityProvider::TakeChangedRecords and Restore): one record per
// instance ("i-…") and per spot instance request ("sir-…"), one per retired instance
// ("retired-i-…", kept for its cost), and one ("pools") for the pools' recovery gaps. What is not
// kept: the background hazard's future reclaims (memoryless: a model started at the restart draws
// them as well), an instance's idle time (scale-in counts from the restart) and the id generators
// (reseeded, so new ids do not repeat the old ones).
#include <exception>
#include <tuple>

#include <nlohmann/json.hpp>

#include "capacity/simulated_cloud.h"
#include "scheduler/host_events.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr char kPoolsKey[] = "pools";
// A retired instance's record: "retired-i-…".
constexpr char kRetiredPrefix[] = "retired-";

void PutOptional(json& out, const char* name, const std::optional<EpochMillis>& value) {
  if (value) out[name] = *value;
}

std::optional<EpochMillis> GetOptional(const json& in, const char* name) {
  auto found = in.find(name);
  if (found == in.end() || found->is_null()) return std::nullopt;
  return found->get<EpochMillis>();
}

InstanceState InstanceStateNamed(const std::string& name) {
  for (InstanceState state : {InstanceState::kPending, InstanceState::kRunning,
                              InstanceState::kShuttingDown, InstanceState::kTerminated}) {
    if (name == InstanceStateName(state)) return state;
  }
  throw std::invalid_argument("unknown instance state \"" + name + "\"");
}

SpotRequestState SpotRequestStateNamed(const std::string& name) {
  for (SpotRequestState state :
       {SpotRequestState::kOpen, SpotRequestState::kActive, SpotRequestState::kClosed,
        SpotRequestState::kCancelled, SpotRequestState::kFailed}) {
    if (name == SpotRequestStateName(state)) return state;
  }
  throw std::invalid_argument("unknown spot request state \"" + name + "\"");
}

std::string EncodeInstance(const SimulatedInstance& instance) {
  json out = {
      {"instanceId", instance.instance_id},
      {"instanceType", instance.pool.instance_type},
      {"availabilityZone", instance.pool.availability_zone},
      {"computeEnvironmentArn", instance.compute_environment_arn},
      {"spot", instance.purchase == PurchaseOption::kSpot},
      {"millivcpus", instance.capacity.millivcpus},
      {"memoryMib", instance.capacity.memory_mib},
      {"gpus", instance.capacity.gpus},
      {"hourlyPrice", instance.hourly_price},
      {"state", InstanceStateName(instance.state)},
      {"launchedAt", instance.launched_at},
      {"readyAt", instance.ready_at},
      {"noticeDelivered", instance.notice_delivered},
      {"stateReason", instance.state_reason},
      {"spotInstanceRequestId", instance.spot_instance_request_id},
      {"spotTerminationCode", instance.spot_termination_code},
  };
  if (!instance.fleet_request_id.empty()) out["fleetRequestId"] = instance.fleet_request_id;
  if (!instance.tags.empty()) out["tags"] = instance.tags;
  PutOptional(out, "rebalanceAt", instance.rebalance_at);
  PutOptional(out, "noticeAt", instance.notice_at);
  PutOptional(out, "deadlineAt", instance.deadline_at);
  PutOptional(out, "terminatedAt", instance.terminated_at);
  PutOptional(out, "blockEndsAt", instance.block_ends_at);
  return out.dump();
}

SimulatedInstance DecodeInstance(const json& in, EpochMillis now) {
  SimulatedInstance instance;
  instance.instance_id = in.at("instanceId").get<std::string>();
  instance.pool = {in.at("instanceType").get<std::string>(),
                   in.at("availabilityZone").get<std::string>()};
  instance.compute_environment_arn = in.at("computeEnvironmentArn").get<std::string>();
  instance.purchase = in.at("spot").get<bool>() ? PurchaseOption::kSpot : PurchaseOption::kOnDemand;
  instance.capacity = {in.at("millivcpus").get<int64_t>(), in.at("memoryMib").get<int64_t>(),
                       in.at("gpus").get<int64_t>()};
  instance.hourly_price = in.at("hourlyPrice").get<MicroUsdPerHour>();
  instance.state = InstanceStateNamed(in.at("state").get<std::string>());
  instance.launched_at = in.at("launchedAt").get<EpochMillis>();
  instance.ready_at = in.at("readyAt").get<EpochMillis>();
  instance.notice_delivered = in.at("noticeDelivered").get<bool>();
  instance.state_reason = in.at("stateReason").get<std::string>();
  instance.spot_instance_request_id = in.at("spotInstanceRequestId").get<std::string>();
  instance.spot_termination_code = in.at("spotTerminationCode").get<std::string>();
  instance.fleet_request_id = in.value("fleetRequestId", "");
  if (in.contains("tags")) instance.tags = in.at("tags").get<std::map<std::string, std::string>>();
  instance.rebalance_at = GetOptional(in, "rebalanceAt");
  instance.notice_at = GetOptional(in, "noticeAt");
  instance.deadline_at = GetOptional(in, "deadlineAt");
  instance.terminated_at = GetOptional(in, "terminatedAt");
  instance.block_ends_at = GetOptional(in, "blockEndsAt");
  instance.idle_since = std::max(now, instance.ready_at);  // scale-in counts from the restart
  return instance;
}

json EncodeLaunchSpecification(const SpotLaunchSpecification& spec) {
  return {{"imageId", spec.image_id},
          {"instanceType", spec.instance_type},
          {"keyName", spec.key_name},
          {"securityGroupIds", spec.security_group_ids},
          {"securityGroups", spec.security_groups},
          {"availabilityZone", spec.availability_zone},
          {"subnetId", spec.subnet_id},
          {"iamInstanceProfileArn", spec.iam_instance_profile_arn},
          {"iamInstanceProfileName", spec.iam_instance_profile_name},
          {"userData", spec.user_data}};
}

SpotLaunchSpecification DecodeLaunchSpecification(const json& in) {
  SpotLaunchSpecification spec;
  spec.image_id = in.at("imageId").get<std::string>();
  spec.instance_type = in.at("instanceType").get<std::string>();
  spec.key_name = in.at("keyName").get<std::string>();
  spec.security_group_ids = in.at("securityGroupIds").get<std::vector<std::string>>();
  spec.security_groups = in.at("securityGroups").get<std::vector<std::string>>();
  spec.availability_zone = in.at("availabilityZone").get<std::string>();
  spec.subnet_id = in.at("subnetId").get<std::string>();
  spec.iam_instance_profile_arn = in.at("iamInstanceProfileArn").get<std::string>();
  spec.iam_instance_profile_name = in.at("iamInstanceProfileName").get<std::string>();
  spec.user_data = in.at("userData").get<std::string>();
  return spec;
}

std::string EncodeSpotRequest(const SpotInstanceRequest& request) {
  json out = {
      {"spotInstanceRequestId", request.spot_instance_request_id},
      {"sequence", request.sequence},
      {"spotPrice", request.spot_price},
      {"type", request.type},
      {"state", SpotRequestStateName(request.state)},
      {"statusCode", request.status_code},
      {"statusMessage", request.status_message},
      {"statusUpdateTime", request.status_update_time},
      {"createTime", request.create_time},
      {"launchSpecification", EncodeLaunchSpecification(request.launch_specification)},
      {"instanceId", request.instance_id},
      {"launchedAvailabilityZone", request.launched_availability_zone},
      {"ecsCluster", request.ecs_cluster},
  };
  if (!request.compute_environment_arn.empty()) {
    out["computeEnvironmentArn"] = request.compute_environment_arn;
  }
  if (request.block_duration_minutes) {
    out["blockDurationMinutes"] = *request.block_duration_minutes;
  }
  if (request.actual_block_hourly_price) {
    out["actualBlockHourlyPrice"] = *request.actual_block_hourly_price;
  }
  PutOptional(out, "nextEvaluationAt", request.next_evaluation_at);
  return out.dump();
}

SpotInstanceRequest DecodeSpotRequest(const json& in) {
  SpotInstanceRequest request;
  request.spot_instance_request_id = in.at("spotInstanceRequestId").get<std::string>();
  request.sequence = in.at("sequence").get<int64_t>();
  request.spot_price = in.at("spotPrice").get<MicroUsdPerHour>();
  request.type = in.at("type").get<std::string>();
  request.state = SpotRequestStateNamed(in.at("state").get<std::string>());
  request.status_code = in.at("statusCode").get<std::string>();
  request.status_message = in.at("statusMessage").get<std::string>();
  request.status_update_time = in.at("statusUpdateTime").get<EpochMillis>();
  request.create_time = in.at("createTime").get<EpochMillis>();
  request.launch_specification = DecodeLaunchSpecification(in.at("launchSpecification"));
  request.instance_id = in.at("instanceId").get<std::string>();
  request.launched_availability_zone = in.at("launchedAvailabilityZone").get<std::string>();
  request.ecs_cluster = in.at("ecsCluster").get<std::string>();
  request.compute_environment_arn = in.value("computeEnvironmentArn", "");
  if (in.contains("blockDurationMinutes")) {
    request.block_duration_minutes = in.at("blockDurationMinutes").get<int>();
  }
  if (in.contains("actualBlockHourlyPrice")) {
    request.actual_block_hourly_price = in.at("actualBlockHourlyPrice").get<MicroUsdPerHour>();
  }
  request.next_evaluation_at = GetOptional(in, "nextEvaluationAt");
  return request;
}

std::string EncodePools(const std::map<CapacityPool, EpochMillis>& gaps) {
  json recovery = json::array();
  for (const auto& [pool, until] : gaps) {
    recovery.push_back({{"instanceType", pool.instance_type},
                        {"availabilityZone", pool.availability_zone},
                        {"recoveredAt", until}});
  }
  return json{{"recoveryGaps", recovery}}.dump();
}

// What changes about an instance after its launch (idle_since left out: it moves every pass).
auto DurableFields(const SimulatedInstance& instance) {
  return std::tie(instance.state, instance.compute_environment_arn, instance.rebalance_at,
                  instance.notice_at, instance.deadline_at, instance.notice_delivered,
                  instance.terminated_at, instance.state_reason, instance.block_ends_at,
                  instance.spot_termination_code);
}

// Records for what differs between `current` and what was persisted; `persisted` becomes current.
template <typename Value, typename Same, typename Encode>
void Diff(const std::map<std::string, Value>& current, std::map<std::string, Value>& persisted,
          Same same, Encode encode, std::vector<ProviderRecord>& records) {
  for (const auto& [key, value] : current) {
    auto [stored, inserted] = persisted.try_emplace(key, value);
    if (!inserted && same(stored->second, value)) continue;
    stored->second = value;
    records.push_back({key, encode(value), false});
  }
  for (auto it = persisted.begin(); it != persisted.end();) {
    if (current.contains(it->first)) {
      ++it;
      continue;
    }
    records.push_back({it->first, "", true});
    it = persisted.erase(it);
  }
}

}  // namespace

std::vector<ProviderRecord> SimulatedCloud::TakeChangedRecords() {
  std::vector<ProviderRecord> records;
  Diff(
      instances_, persisted_instances_,
      [](const SimulatedInstance& a, const SimulatedInstance& b) {
        return DurableFields(a) == DurableFields(b);
      },
      EncodeInstance, records);
  // Retired instances never change: only their arrival and their end are records.
  for (const std::string& id : retired_unrecorded_) {
    auto retired = retired_instances_.find(id);
    if (retired == retired_instances_.end()) continue;  // forgotten in the same pass
    records.push_back({kRetiredPrefix + id, EncodeInstance(retired->second), false});
  }
  retired_unrecorded_.clear();
  for (const std::string& id : retired_forgotten_)
    records.push_back({kRetiredPrefix + id, "", true});
  retired_forgotten_.clear();
  Diff(
      spot_requests_, persisted_spot_requests_,
      [](const SpotInstanceRequest& a, const SpotInstanceRequest& b) { return a == b; },
      EncodeSpotRequest, records);
  // Compared before encoding: this runs after every engine pass, and gaps rarely change.
  std::map<CapacityPool, EpochMillis> gaps = interruptions_.RecoveryGaps(clock_.NowMillis());
  if (gaps != persisted_gaps_) {
    records.push_back({kPoolsKey, EncodePools(gaps), false});
    persisted_gaps_ = std::move(gaps);
  }
  return records;
}

Status SimulatedCloud::Restore(const std::vector<ProviderRecord>& records, HostEvents& state) {
  EpochMillis now = clock_.NowMillis();
  for (const ProviderRecord& record : records) {
    json document = json::parse(record.document, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object()) {
      return Status::FailedPrecondition("simulated cloud record \"" + record.key +
                                        "\" is not a JSON object");
    }
    try {
      if (record.key == kPoolsKey) {
        for (const json& gap : document.at("recoveryGaps")) {
          CapacityPool pool{gap.at("instanceType").get<std::string>(),
                            gap.at("availabilityZone").get<std::string>()};
          EpochMillis until = gap.at("recoveredAt").get<EpochMillis>();
          interruptions_.RestoreRecoveryGap(pool, until);
          persisted_gaps_[pool] = until;
        }
      } else if (record.key.starts_with(kRetiredPrefix)) {
        SimulatedInstance instance = DecodeInstance(document, now);
        retired_instances_[record.key.substr(sizeof(kRetiredPrefix) - 1)] = std::move(instance);
      } else if (record.key.starts_with("sir-")) {
        SpotInstanceRequest request = DecodeSpotRequest(document);
        spot_request_sequence_ = std::max(spot_request_sequence_, request.sequence);
        const SpotLaunchSpecification& launch = request.launch_specification;
        if (!launch.subnet_id.empty() && !launch.availability_zone.empty()) {
          // What the request taught the cloud about its subnet outlives a restart; a zone
          // declared with --subnet-zone since then wins.
          static_cast<void>(
              options_.subnet_zones.Place(launch.subnet_id, launch.availability_zone));
        }
        persisted_spot_requests_[record.key] = request;
        spot_requests_[record.key] = std::move(request);
      } else {
        SimulatedInstance instance = DecodeInstance(document, now);
        persisted_instances_[record.key] = instance;
        instances_[record.key] = std::move(instance);
      }
    } catch (const std::exception& error) {
      return Status::FailedPrecondition("simulated cloud record \"" + record.key +
                                        "\" does not decode: " + error.what());
    }
  }
  for (const auto& [id, instance] : instances_) {
    if (instance.state == InstanceState::kTerminated) continue;
    // The cluster its user data joined, for a spot request's instance; else its environment's.
    const SpotInstanceRequest* request = FindSpotInstanceRequest(instance.spot_instance_request_id);
    const ComputeEnvironment* environment =
        request != nullptr ? state.FindComputeEnvironmentOfCluster(request->ecs_cluster)
                           : state.FindComputeEnvironment(instance.compute_environment_arn);
    // One that serves no compute environment has no host, as at its launch.
    if (instance.compute_environment_arn.empty() || environment == nullptr) continue;
    AddHostFor(state, instance, request != nullptr ? request->ecs_cluster : environment->name);
  }
  // New ids must not repeat those the first generators gave out.
  ids_ = InstanceIdGenerator(MixSeed(options_.seed, static_cast<uint64_t>(now)));
  spot_request_ids_.seed(
      MixSeed(options_.seed, StableHash("spot-instance-request") ^ static_cast<uint64_t>(now)));
  return Status::Ok();
}

}  // namespace gleaner
