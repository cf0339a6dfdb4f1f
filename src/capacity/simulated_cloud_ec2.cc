// SimulatedCloud: the EC2 API's spot instance requests (RequestSpotInstances,
// CancelSpotInstanceRequests) and TerminateInstances. An instance launched for a request joins the
// ECS cluster its user data names: when that is a compute environment's cluster, the instance
// becomes a host of that compute environment. That is how UNMANAGED compute environments get
// capacity, as on AWS.
#include <algorithm>
#include <set>

#include "capacity/ecs_user_data.h"
#include "capacity/simulated_cloud.h"
#include "model/arn.h"
#include "scheduler/host_events.h"

namespace gleaner {
namespace {

constexpr char kRequestIdAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr int kRequestIdLength = 8;
constexpr int kMaxInstanceCount = 100;
// Closed, cancelled and failed requests stay visible this long (AWS: about four hours).
constexpr int64_t kFinishedRequestVisibleMillis = 4 * 3'600'000;

// Status codes and messages as EC2 writes them.
constexpr char kFulfilled[] = "fulfilled";
constexpr char kPriceTooLow[] = "price-too-low";
constexpr char kCapacityNotAvailable[] = "capacity-not-available";
constexpr char kMarkedForTermination[] = "marked-for-termination";
constexpr const char* kTerminatedByUser = kInstanceTerminatedByUser;
constexpr char kTerminatedNoCapacity[] = "instance-terminated-no-capacity";
constexpr char kTerminatedBySchedule[] = "instance-terminated-by-schedule";
constexpr char kCanceledBeforeFulfillment[] = "canceled-before-fulfillment";
constexpr char kCanceledAndInstanceRunning[] = "request-canceled-and-instance-running";

std::string StatusMessage(const std::string& code) {
  if (code == kFulfilled) return "Your spot request is fulfilled.";
  if (code == kCapacityNotAvailable) {
    return "There is no Spot capacity available that matches your request.";
  }
  if (code == kMarkedForTermination) return "Spot Instance is marked for termination.";
  if (code == kTerminatedByUser) {
    return "Spot Instance terminated due to user-initiated termination.";
  }
  if (code == kTerminatedNoCapacity) {
    return "Spot Instance terminated due to no available capacity.";
  }
  if (code == kTerminatedBySchedule) {
    return "Spot Instance terminated at the end of its scheduled duration.";
  }
  if (code == kCanceledBeforeFulfillment) {
    return "Your Spot request was canceled before it was fulfilled.";
  }
  if (code == kCanceledAndInstanceRunning) {
    return "Spot Instance request canceled by user; the instance is still running.";
  }
  return "";
}

void SetStatus(SpotInstanceRequest& request, SpotRequestState state, const std::string& code,
               EpochMillis now) {
  request.state = state;
  request.status_code = code;
  request.status_message = StatusMessage(code);
  request.status_update_time = now;
}

EpochMillis NextPricePeriod(EpochMillis now) {
  return (now / SpotPriceModel::kPricePeriodMillis + 1) * SpotPriceModel::kPricePeriodMillis;
}

Status ValidateSpec(const RequestSpotInstancesSpec& spec, const InstanceCatalog& catalog,
                    const SubnetZones& subnet_zones) {
  if (spec.instance_count < 1 || spec.instance_count > kMaxInstanceCount) {
    return Status::InvalidArgument("InstanceCount must be between 1 and " +
                                   std::to_string(kMaxInstanceCount));
  }
  if (spec.type != "one-time" && spec.type != "persistent") {
    return Status::InvalidArgument("Value (" + spec.type +
                                   ") for parameter Type is invalid. Use one-time or persistent.");
  }
  if (spec.block_duration_minutes) {
    int minutes = *spec.block_duration_minutes;
    if (minutes < 60 || minutes > 360 || minutes % 60 != 0) {
      return Status::InvalidArgument(
          "Value (" + std::to_string(minutes) +
          ") for parameter blockDurationMinutes is invalid. Use 60, 120, 180, 240, 300 or 360.");
    }
    if (spec.type == "persistent") {
      return Status::InvalidArgument(
          "BlockDurationMinutes applies to one-time requests only, not persistent ones.");
    }
  }
  const SpotLaunchSpecification& launch = spec.launch_specification;
  if (launch.image_id.empty()) {
    return Status::InvalidArgument("LaunchSpecification.ImageId is required.");
  }
  if (launch.instance_type.empty()) {
    return Status::InvalidArgument("LaunchSpecification.InstanceType is required.");
  }
  const InstanceType* type = catalog.Find(launch.instance_type);
  if (type == nullptr) {
    return Status::InvalidArgument("Invalid value '" + launch.instance_type +
                                   "' for InstanceType.");
  }
  if (!type->spot) {
    return Status::InvalidArgument("The instance type " + launch.instance_type +
                                   " is not offered as a Spot Instance.");
  }
  if (!launch.availability_zone.empty()) {
    const std::vector<std::string>& zones = AvailabilityZones();
    if (std::find(zones.begin(), zones.end(), launch.availability_zone) == zones.end()) {
      return Status::InvalidArgument("Invalid availability zone: [" + launch.availability_zone +
                                     "]");
    }
    if (!launch.subnet_id.empty()) {
      GLEANER_RETURN_IF_ERROR(subnet_zones.Check(launch.subnet_id, launch.availability_zone));
    }
  }
  if (!launch.user_data.empty() && !Base64DecodeLenient(launch.user_data)) {
    return Status::InvalidArgument("Invalid BASE64 encoding of user data.");
  }
  return Status::Ok();
}

}  // namespace

const char* SpotRequestStateName(SpotRequestState state) {
  switch (state) {
    case SpotRequestState::kOpen:
      return "open";
    case SpotRequestState::kActive:
      return "active";
    case SpotRequestState::kClosed:
      return "closed";
    case SpotRequestState::kCancelled:
      return "cancelled";
    case SpotRequestState::kFailed:
      return "failed";
  }
  return "failed";
}

std::string SimulatedCloud::NewSpotInstanceRequestId() {
  std::string id;
  do {
    id = "sir-";
    for (int c = 0; c < kRequestIdLength; ++c) {
      id.push_back(kRequestIdAlphabet[spot_request_ids_() % (sizeof kRequestIdAlphabet - 1)]);
    }
  } while (spot_requests_.count(id) != 0);
  return id;
}

void SimulatedCloud::AddFleetRequest(SimulatedInstance& instance,
                                     const ComputeEnvironment& environment,
                                     MicroUsdPerHour max_price, EpochMillis now) {
  SpotInstanceRequest request;
  request.spot_instance_request_id = NewSpotInstanceRequestId();
  request.sequence = ++spot_request_sequence_;
  request.spot_price = max_price;
  request.type = "one-time";
  request.create_time = now;
  request.launch_specification.instance_type = instance.pool.instance_type;
  request.launch_specification.availability_zone = instance.pool.availability_zone;
  request.ecs_cluster = ArnResourceName(environment.ecs_cluster_arn, "cluster");
  request.compute_environment_arn = environment.arn;
  request.instance_id = instance.instance_id;
  request.launched_availability_zone = instance.pool.availability_zone;
  SetStatus(request, SpotRequestState::kActive, kFulfilled, now);
  instance.fleet_request_id = request.spot_instance_request_id;
  spot_requests_.emplace(request.spot_instance_request_id, std::move(request));
}

const SpotInstanceRequest* SimulatedCloud::FindSpotInstanceRequest(const std::string& id) const {
  auto found = spot_requests_.find(id);
  return found == spot_requests_.end() ? nullptr : &found->second;
}

Result<std::vector<SpotInstanceRequest>> SimulatedCloud::RequestSpotInstances(
    HostEvents& state, const RequestSpotInstancesSpec& spec) {
  GLEANER_RETURN_IF_ERROR(ValidateSpec(spec, catalog_, options_.subnet_zones));
  const InstanceType& type = *catalog_.Find(spec.launch_specification.instance_type);
  MicroUsdPerHour max_price = type.on_demand_price;
  if (spec.spot_price) {
    Result<MicroUsdPerHour> parsed = ParseMicroUsd(*spec.spot_price);
    if (!parsed.ok() || *parsed <= 0) {
      return Status::InvalidArgument("Invalid value '" + *spec.spot_price +
                                     "' for SpotPrice: a price in US dollars per hour, like 0.05");
    }
    max_price = *parsed;
  }
  // Accepted (ValidateSpec checked the subnet's zone): the subnet is in the zone it names from now.
  const SpotLaunchSpecification& launch = spec.launch_specification;
  if (!launch.subnet_id.empty() && !launch.availability_zone.empty()) {
    GLEANER_RETURN_IF_ERROR(
        options_.subnet_zones.Place(launch.subnet_id, launch.availability_zone));
  }
  std::string cluster;
  if (!spec.launch_specification.user_data.empty()) {
    cluster = EcsClusterFromUserData(*Base64DecodeLenient(spec.launch_specification.user_data));
  }
  EpochMillis now = clock_.NowMillis();
  std::vector<SpotInstanceRequest> created;
  for (int i = 0; i < spec.instance_count; ++i) {
    SpotInstanceRequest request;
    request.spot_instance_request_id = NewSpotInstanceRequestId();
    request.sequence = ++spot_request_sequence_;
    request.spot_price = max_price;
    request.type = spec.type;
    request.create_time = now;
    request.launch_specification = spec.launch_specification;
    request.block_duration_minutes = spec.block_duration_minutes;
    request.ecs_cluster = cluster;
    SetStatus(request, SpotRequestState::kOpen, "pending-evaluation", now);
    request.status_message =
        "Your Spot request has been submitted for review, and is pending "
        "evaluation.";
    SpotInstanceRequest& stored =
        spot_requests_.emplace(request.spot_instance_request_id, std::move(request)).first->second;
    EvaluateSpotInstanceRequest(state, stored, now);
    created.push_back(stored);
  }
  return created;
}

void SimulatedCloud::EvaluateSpotInstanceRequest(HostEvents& state, SpotInstanceRequest& request,
                                                 EpochMillis now) {
  const SpotLaunchSpecification& launch = request.launch_specification;
  std::vector<std::string> zones;
  if (!launch.availability_zone.empty()) {
    zones = {launch.availability_zone};
  } else if (!launch.subnet_id.empty()) {
    zones = {options_.subnet_zones.ZoneOf(launch.subnet_id)};
  } else {
    zones = AvailabilityZones();  // EC2 picks the zone: the cheapest that can launch
  }
  std::optional<CapacityPool> best;
  MicroUsdPerHour best_price = 0;
  bool any_launchable = false;
  EpochMillis retry_at = NextPricePeriod(now);
  for (const std::string& zone : zones) {
    CapacityPool pool{launch.instance_type, zone};
    if (std::optional<EpochMillis> gap_end = interruptions_.RecoveryGapEnd(pool, now)) {
      retry_at = std::min(retry_at, *gap_end);
      continue;
    }
    any_launchable = true;
    std::optional<MicroUsdPerHour> price = prices_.SpotPrice(pool, now);
    if (!price || *price > request.spot_price) continue;
    if (!best || *price < best_price) {  // zones are sorted: ties go to the first
      best = pool;
      best_price = *price;
    }
  }
  if (best) {
    request.next_evaluation_at.reset();
    LaunchSpotInstance(state, request, *best, best_price, now);
    return;
  }
  std::string code = any_launchable ? kPriceTooLow : kCapacityNotAvailable;
  if (request.status_code != code || request.state != SpotRequestState::kOpen) {
    SetStatus(request, SpotRequestState::kOpen, code, now);
  }
  if (code == kPriceTooLow) {
    MicroUsdPerHour lowest = 0;
    for (const std::string& zone : zones) {
      std::optional<MicroUsdPerHour> price = prices_.SpotPrice({launch.instance_type, zone}, now);
      if (price && (lowest == 0 || *price < lowest)) lowest = *price;
    }
    request.status_message = "Your Spot request price of " + FormatUsd(request.spot_price) +
                             " is lower than the minimum required Spot request fulfillment "
                             "price of " +
                             FormatUsd(lowest) + ".";
  }
  request.next_evaluation_at = retry_at;
}

void SimulatedCloud::LaunchSpotInstance(HostEvents& state, SpotInstanceRequest& request,
                                        const CapacityPool& pool, MicroUsdPerHour price,
                                        EpochMillis now) {
  const InstanceType& type = *catalog_.Find(pool.instance_type);
  SimulatedInstance instance;
  instance.instance_id = ids_.Next();
  instance.pool = pool;
  instance.purchase = PurchaseOption::kSpot;
  instance.capacity = type.Capacity();
  instance.hourly_price = price;
  instance.launched_at = now;
  instance.ready_at = now + options_.boot_millis;
  instance.idle_since = instance.ready_at;
  instance.state = options_.boot_millis > 0 ? InstanceState::kPending : InstanceState::kRunning;
  instance.spot_instance_request_id = request.spot_instance_request_id;
  if (request.block_duration_minutes) {
    instance.block_ends_at = now + int64_t{*request.block_duration_minutes} * 60'000;
    request.actual_block_hourly_price = price;
  }
  // The ECS agent registers with the cluster its user data names; a compute environment's cluster
  // makes the instance one of its hosts. Any other cluster (or none: "default") serves nothing.
  if (const ComputeEnvironment* environment =
          state.FindComputeEnvironmentOfCluster(request.ecs_cluster)) {
    instance.compute_environment_arn = environment->arn;
    AddHostFor(state, instance, request.ecs_cluster);
  }
  request.instance_id = instance.instance_id;
  request.launched_availability_zone = pool.availability_zone;
  SetStatus(request, SpotRequestState::kActive, kFulfilled, now);
  instances_[instance.instance_id] = std::move(instance);
}

void SimulatedCloud::AdvanceSpotInstanceRequests(HostEvents& state, EpochMillis now) {
  std::vector<SpotInstanceRequest*> in_order;
  for (auto& [id, request] : spot_requests_) in_order.push_back(&request);
  std::sort(in_order.begin(), in_order.end(),
            [](const auto* a, const auto* b) { return a->sequence < b->sequence; });
  std::set<std::string> expired;
  for (SpotInstanceRequest* request : in_order) {
    if (request->state == SpotRequestState::kOpen) {
      if (request->next_evaluation_at && *request->next_evaluation_at <= now) {
        EvaluateSpotInstanceRequest(state, *request, now);
      }
      continue;
    }
    if (request->state != SpotRequestState::kActive &&
        request->status_update_time + kFinishedRequestVisibleMillis <= now) {
      bool instance_gone = true;
      if (const SimulatedInstance* instance = FindInstance(request->instance_id)) {
        instance_gone = instance->state == InstanceState::kTerminated;
      }
      if (instance_gone) expired.insert(request->spot_instance_request_id);
      continue;
    }
    auto found = instances_.find(request->instance_id);
    if (found == instances_.end()) continue;
    SimulatedInstance& instance = found->second;
    if (instance.state == InstanceState::kTerminated) continue;
    // A spot block runs uninterrupted for its duration, then gets the profile's usual notice.
    if (instance.block_ends_at && *instance.block_ends_at <= now && !instance.notice_at) {
      instance.notice_at = *instance.block_ends_at;
      instance.deadline_at = *instance.block_ends_at + options_.profile.notice_millis;
      instance.state_reason = "Spot block: its defined duration ended";
      instance.spot_termination_code = kTerminatedBySchedule;
    }
    if (request->state == SpotRequestState::kActive && instance.notice_at &&
        *instance.notice_at <= now && request->status_code != kMarkedForTermination) {
      SetStatus(*request, SpotRequestState::kActive, kMarkedForTermination, *instance.notice_at);
    }
  }
  for (const std::string& id : expired) spot_requests_.erase(id);
}

void SimulatedCloud::OnSpotInstanceGone(const SimulatedInstance& instance, EpochMillis now) {
  auto found = spot_requests_.find(instance.RequestId());
  if (found == spot_requests_.end()) return;
  SpotInstanceRequest& request = found->second;
  if (request.instance_id != instance.instance_id) return;
  // Reclaims (the background hazard, `gleaner interrupt`) are capacity taken back.
  std::string code = instance.spot_termination_code.empty() ? std::string(kTerminatedNoCapacity)
                                                            : instance.spot_termination_code;
  if (request.state == SpotRequestState::kCancelled) {
    SetStatus(request, SpotRequestState::kCancelled, code, now);
  } else if (request.type == "persistent" && code != kTerminatedBySchedule) {
    // A persistent request opens again and launches a new instance when its pool allows.
    SetStatus(request, SpotRequestState::kOpen, code, now);
    request.next_evaluation_at = now;
  } else {
    SetStatus(request, SpotRequestState::kClosed, code, now);
  }
}

std::optional<EpochMillis> SimulatedCloud::NextSpotInstanceRequestEventAt() const {
  std::optional<EpochMillis> next;
  auto consider = [&next](EpochMillis at) {
    if (!next || at < *next) next = at;
  };
  EpochMillis now = clock_.NowMillis();
  for (const auto& [id, request] : spot_requests_) {
    if (request.state == SpotRequestState::kOpen && request.next_evaluation_at) {
      consider(*request.next_evaluation_at);
    }
  }
  for (const auto& [id, instance] : instances_) {
    if (instance.spot_instance_request_id.empty() || instance.state != InstanceState::kRunning ||
        instance.notice_at) {
      continue;
    }
    if (instance.block_ends_at) {
      consider(*instance.block_ends_at);
    } else if (options_.background_interruptions) {
      consider(now + 1000);  // the background hazard, checked every second
    }
  }
  return next;
}

Result<std::vector<InstanceStateChange>> SimulatedCloud::TerminateInstances(
    HostEvents& state, const std::vector<std::string>& instance_ids) {
  if (instance_ids.empty()) {
    return Status::InvalidArgument("The request must contain the parameter InstanceId");
  }
  std::vector<std::string> unknown;
  for (const std::string& id : instance_ids) {
    const SimulatedInstance* instance = FindInstance(id);
    if (instance == nullptr || instance->pool.instance_type == kFargateInstanceType)
      unknown.push_back(id);
  }
  if (!unknown.empty()) {
    std::string list;
    for (const std::string& id : unknown) list += (list.empty() ? "" : ", ") + id;
    return Status::NotFound(unknown.size() == 1 ? "The instance ID '" + list + "' does not exist"
                                                : "The instance IDs '" + list + "' do not exist");
  }
  EpochMillis now = clock_.NowMillis();
  std::vector<InstanceStateChange> changes;
  for (const std::string& id : instance_ids) {
    SimulatedInstance& instance = instances_.at(id);
    InstanceStateChange change{id, instance.state, InstanceState::kTerminated};
    if (instance.state != InstanceState::kTerminated) {
      instance.spot_termination_code = kTerminatedByUser;
      Terminate(state, instance, "Client.UserInitiatedShutdown: User initiated shutdown", now);
    }
    changes.push_back(change);
  }
  return changes;
}

Result<std::vector<CancelledSpotInstanceRequest>> SimulatedCloud::CancelSpotInstanceRequests(
    const std::vector<std::string>& spot_instance_request_ids) {
  if (spot_instance_request_ids.empty()) {
    return Status::InvalidArgument("The request must contain the parameter SpotInstanceRequestId");
  }
  for (const std::string& id : spot_instance_request_ids) {
    if (spot_requests_.count(id) == 0) {
      return Status::NotFound("The spot instance request ID '" + id + "' does not exist");
    }
  }
  EpochMillis now = clock_.NowMillis();
  std::vector<CancelledSpotInstanceRequest> cancelled;
  for (const std::string& id : spot_instance_request_ids) {
    SpotInstanceRequest& request = spot_requests_.at(id);
    if (request.state == SpotRequestState::kOpen) {
      SetStatus(request, SpotRequestState::kCancelled, kCanceledBeforeFulfillment, now);
      request.next_evaluation_at.reset();
    } else if (request.state == SpotRequestState::kActive) {
      // As on AWS, cancelling a request leaves its instance running.
      SetStatus(request, SpotRequestState::kCancelled, kCanceledAndInstanceRunning, now);
    }
    cancelled.push_back({id, request.state});
  }
  return cancelled;
}

}  // namespace gleaner
