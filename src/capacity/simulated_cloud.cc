#include "capacity/simulated_cloud.h"

#include <algorithm>
#include <cmath>

#include "capacity/instance_type_resolution.h"
#include "capacity/pool_offer.h"
#include "scheduler/host_events.h"

namespace gleaner {
namespace {

// Fargate runs each job on capacity of exactly its size, at most 16 vCPU and 120 GiB.
constexpr Resources kFargateLargestTask{16'000, 122'880, 0};
constexpr int64_t kFargateIdleMillis = 1000;

// A compute environment whose instances the cloud keeps (while it is ENABLED).
bool IsManagedAndEnabled(const ComputeEnvironment& environment) {
  return environment.type == "MANAGED" && environment.compute_resources &&
         environment.state == ResourceState::kEnabled;
}

bool IsScaledByCloud(const ComputeEnvironment& environment) {
  return IsManagedAndEnabled(environment) && environment.status == ResourceStatus::kValid;
}

std::vector<std::string> SubnetsOf(const ComputeResources& resources) {
  std::vector<std::string> subnets;
  auto found = resources.passthrough.find("subnets");
  if (found != resources.passthrough.end() && found->is_array()) {
    for (const auto& subnet : *found) {
      if (subnet.is_string()) subnets.push_back(subnet.get<std::string>());
    }
  }
  return subnets;
}

PurchaseOption PurchaseOf(const ComputeResources& resources) {
  return resources.type == "SPOT" || resources.type == "FARGATE_SPOT" ? PurchaseOption::kSpot
                                                                      : PurchaseOption::kOnDemand;
}

// The tags AWS Batch puts on a compute environment's instances: its service tag, the Auto Scaling
// group (on-demand) or spot fleet (spot) that launched them, and computeResources.tags.
std::map<std::string, std::string> BatchInstanceTags(const ComputeEnvironment& environment,
                                                     PurchaseOption purchase) {
  std::map<std::string, std::string> tags;
  const nlohmann::json& extra = environment.compute_resources->passthrough;
  if (auto given = extra.find("tags"); given != extra.end() && given->is_object()) {
    for (const auto& [key, value] : given->items()) {
      if (value.is_string()) tags[key] = value.get<std::string>();
    }
  }
  tags["AWSBatchServiceTag"] = "batch";
  if (purchase == PurchaseOption::kSpot) {
    tags["aws:ec2spot:fleet-request-id"] = "sfr-" + environment.uuid;
  } else {
    tags["aws:autoscaling:groupName"] = "AWSBatch-" + environment.name + "-asg-" + environment.uuid;
  }
  return tags;
}

}  // namespace

const char* InstanceStateName(InstanceState state) {
  switch (state) {
    case InstanceState::kPending:
      return "pending";
    case InstanceState::kRunning:
      return "running";
    case InstanceState::kShuttingDown:
      return "shutting-down";
    case InstanceState::kTerminated:
      return "terminated";
  }
  return "terminated";
}

SimulatedCloud::SimulatedCloud(const Clock& clock, const InstanceCatalog& catalog,
                               SimulatedCloudOptions options)
    : clock_(clock),
      catalog_(catalog),
      options_(std::move(options)),
      prices_(catalog, options_.seed),
      interruptions_(catalog, options_.profile, options_.seed, clock.NowMillis()),
      ids_(options_.seed) {}

const SimulatedInstance* SimulatedCloud::FindInstance(const std::string& instance_id) const {
  auto found = instances_.find(instance_id);
  return found == instances_.end() ? nullptr : &found->second;
}

SimulatedCloud::Environment& SimulatedCloud::EnvironmentFor(const ComputeEnvironment& environment) {
  const ComputeResources& resources = *environment.compute_resources;
  Environment& cloud = environments_[environment.arn];
  std::vector<std::string> subnets = SubnetsOf(resources);
  if (cloud.types.empty() && cloud.invalid_reason.empty()) {
    cloud.instance_types_requested = {"<unset>"};  // forces the first resolution below
  }
  if (cloud.instance_types_requested == resources.instance_types && cloud.subnets == subnets) {
    return cloud;
  }
  cloud.instance_types_requested = resources.instance_types;
  cloud.subnets = subnets;
  cloud.zones = options_.subnet_zones.ZonesOf(subnets);
  cloud.types.clear();
  cloud.instance_sizes.clear();
  cloud.invalid_reason.clear();
  cloud.blocked_second = -1;
  if (environment.IsFargate()) return cloud;
  std::vector<std::string> requested = resources.instance_types;
  if (requested.empty()) requested = {"optimal"};
  Result<std::vector<InstanceType>> types = ResolveInstanceTypes(catalog_, requested);
  if (!types.ok()) {
    cloud.invalid_reason = "computeResources.instanceTypes: " + types.status().message();
    return cloud;
  }
  cloud.types = std::move(*types);
  if (PurchaseOf(resources) == PurchaseOption::kSpot) {
    std::erase_if(cloud.types, [](const InstanceType& type) { return !type.spot; });
    if (cloud.types.empty()) {
      cloud.invalid_reason = "computeResources.instanceTypes: none of them is offered as spot";
    }
  }
  for (const InstanceType& type : cloud.types) {
    Resources size = type.Capacity();
    if (std::find(cloud.instance_sizes.begin(), cloud.instance_sizes.end(), size) ==
        cloud.instance_sizes.end()) {
      cloud.instance_sizes.push_back(size);
    }
  }
  return cloud;
}

int64_t SimulatedCloud::MilliVcpusOf(const std::string& compute_environment_arn) const {
  int64_t total = 0;
  for (const auto& [id, instance] : instances_) {
    if (instance.compute_environment_arn == compute_environment_arn &&
        instance.spot_instance_request_id.empty() &&
        (instance.state == InstanceState::kPending || instance.state == InstanceState::kRunning)) {
      total += instance.capacity.millivcpus;
    }
  }
  return total;
}

std::string SimulatedCloud::BlockedReason(const ComputeEnvironment& environment,
                                          const Environment& cloud, EpochMillis now) {
  if (!cloud.invalid_reason.empty()) return cloud.invalid_reason;
  const ComputeResources& resources = *environment.compute_resources;
  if (environment.IsFargate() || PurchaseOf(resources) == PurchaseOption::kOnDemand) return "";
  int bid = resources.bid_percentage.value_or(100);
  bool any_in_gap = false;
  bool any_above_bid = false;
  for (const InstanceType& type : cloud.types) {
    for (const std::string& zone : cloud.zones) {
      CapacityPool pool{type.name, zone};
      if (!interruptions_.CanLaunch(pool, now)) {
        any_in_gap = true;
        continue;
      }
      std::optional<MicroUsdPerHour> price = prices_.SpotPrice(pool, now);
      if (!price || *price * 100 > type.on_demand_price * bid) {
        any_above_bid = true;
        continue;
      }
      return "";  // one pool can launch
    }
  }
  if (any_above_bid && !any_in_gap) {
    return "CAPACITY:SPOT_PRICE_ABOVE_BID - every spot pool's price is above bidPercentage " +
           std::to_string(bid) + "% of on-demand.";
  }
  return "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - the compute environment's spot pools have no "
         "capacity now (reclaimed, recovering" +
         std::string(any_above_bid ? ", or priced above bidPercentage" : "") + ").";
}

void SimulatedCloud::SyncEnvironments(HostEvents& state, EpochMillis now) {
  std::map<std::string, bool> present;
  for (const auto& [name, environment] : state.compute_environments()) {
    if (!IsManagedAndEnabled(environment)) continue;
    present[environment.arn] = true;  // its instances stay, even while it is INVALID
    Environment& cloud = EnvironmentFor(environment);
    if (environment.status == ResourceStatus::kValid && !cloud.invalid_reason.empty()) {
      // As AWS: the compute environment turns INVALID and says why; nothing launches for it.
      state.MarkComputeEnvironmentInvalid(environment.arn,
                                          "CLIENT_ERROR - " + cloud.invalid_reason);
    }
    if (state.FindComputeEnvironment(environment.arn)->status != ResourceStatus::kValid) {
      state.SetScalingCapacity(environment.arn, std::nullopt);
      continue;
    }
    int bid = environment.compute_resources->bid_percentage.value_or(100);
    if (cloud.blocked_second != now / 1000 || cloud.blocked_bid != bid) {
      cloud.blocked_reason = BlockedReason(environment, cloud, now);
      cloud.blocked_second = now / 1000;
      cloud.blocked_bid = bid;
    }
    if (cloud.blocked_reason.empty()) LaunchUpToMinimum(state, environment, now);
    ScalingCapacity capacity;
    capacity.room_millivcpus =
        std::max<int64_t>(0, int64_t{environment.compute_resources->maxv_cpus} * 1000 -
                                 MilliVcpusOf(environment.arn));
    capacity.instance_sizes = environment.IsFargate() ? std::vector<Resources>{kFargateLargestTask}
                                                      : cloud.instance_sizes;
    capacity.blocked_reason = cloud.blocked_reason;
    state.SetScalingCapacity(environment.arn, std::move(capacity));
    if (!environment.IsFargate()) {
      int64_t running = (MilliVcpusOf(environment.arn) + 999) / 1000;
      state.SetDesiredvCpus(
          environment.arn,
          static_cast<int>(std::min<int64_t>(running, environment.compute_resources->maxv_cpus)));
    }
  }
  // Compute environments deleted or no longer scaled: their instances go.
  for (auto it = environments_.begin(); it != environments_.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    state.SetScalingCapacity(it->first, std::nullopt);
    for (auto& [id, instance] : instances_) {
      if (instance.compute_environment_arn == it->first &&
          instance.spot_instance_request_id.empty() &&
          instance.state != InstanceState::kTerminated) {
        instance.spot_termination_code = kInstanceTerminatedByUser;
        Terminate(state, instance, "the compute environment was disabled or deleted", now);
      }
    }
    it = environments_.erase(it);
  }
}

void SimulatedCloud::Provide(HostEvents& state,
                             const std::map<std::string, std::vector<Resources>>& requests) {
  EpochMillis now = clock_.NowMillis();
  for (const auto& [arn, jobs] : requests) {
    const ComputeEnvironment* environment = state.FindComputeEnvironment(arn);
    if (environment == nullptr || !IsScaledByCloud(*environment) || jobs.empty()) continue;
    LaunchFor(state, *environment, jobs, now);
  }
  SyncEnvironments(state, now);
}

void SimulatedCloud::LaunchFor(HostEvents& state, const ComputeEnvironment& environment,
                               const std::vector<Resources>& jobs, EpochMillis now) {
  const ComputeResources& resources = *environment.compute_resources;
  Environment& cloud = EnvironmentFor(environment);
  if (!cloud.invalid_reason.empty()) return;
  if (environment.IsFargate()) {
    int64_t room = int64_t{resources.maxv_cpus} * 1000 - MilliVcpusOf(environment.arn);
    for (const Resources& job : jobs) {
      if (!job.FitsIn(kFargateLargestTask) || job.millivcpus > room) continue;
      PoolOffer offer;
      offer.pool = {kFargateInstanceType, cloud.zones.front()};
      offer.capacity = job;
      LaunchInstance(state, environment, offer, PurchaseOf(resources), now);
      room -= job.millivcpus;
    }
    return;
  }
  AllocationRequest request;
  Result<AllocationStrategy> strategy = ParseAllocationStrategy(resources.allocation_strategy);
  request.strategy = strategy.ok() ? *strategy : AllocationStrategy::kBestFit;
  request.purchase = PurchaseOf(resources);
  request.bid_percentage = resources.bid_percentage.value_or(100);
  request.offers = BuildPoolOffers(cloud.types, cloud.zones, prices_, interruptions_, now);
  request.jobs = jobs;
  request.max_vcpus = resources.maxv_cpus;
  request.current_vcpus = static_cast<int>(MilliVcpusOf(environment.arn) / 1000);
  AllocationResult plan = Allocate(request);
  if (plan.outcome != AllocationOutcome::kLaunch) return;
  for (const PoolLaunch& launch : plan.launches) {
    auto offer = std::find_if(request.offers.begin(), request.offers.end(),
                              [&launch](const PoolOffer& o) { return o.pool == launch.pool; });
    if (offer == request.offers.end()) continue;
    for (int i = 0; i < launch.count; ++i) {
      LaunchInstance(state, environment, *offer, request.purchase, now);
    }
  }
}

void SimulatedCloud::LaunchUpToMinimum(HostEvents& state, const ComputeEnvironment& environment,
                                       EpochMillis now) {
  if (environment.IsFargate()) return;
  int64_t minimum = int64_t{environment.compute_resources->minv_cpus.value_or(0)} * 1000;
  if (minimum <= 0) return;  // the usual case: nothing to count
  int64_t missing = minimum - MilliVcpusOf(environment.arn);
  if (missing <= 0) return;
  // As many 1-vCPU slots as are missing: the allocation strategy picks the instances for them.
  int64_t slots = std::min<int64_t>((missing + 999) / 1000, 10'000);
  LaunchFor(state, environment, std::vector<Resources>(slots, Resources{1000, 1, 0}), now);
}

void SimulatedCloud::LaunchInstance(HostEvents& state, const ComputeEnvironment& environment,
                                    const PoolOffer& offer, PurchaseOption purchase,
                                    EpochMillis now) {
  SimulatedInstance instance;
  instance.instance_id = ids_.Next();
  instance.pool = offer.pool;
  instance.compute_environment_arn = environment.arn;
  instance.purchase = purchase;
  instance.capacity = offer.capacity;
  instance.hourly_price = purchase == PurchaseOption::kSpot && offer.spot_price
                              ? *offer.spot_price
                              : offer.on_demand_price;
  instance.launched_at = now;
  instance.ready_at = now + options_.boot_millis;
  instance.idle_since = instance.ready_at;
  instance.state = options_.boot_millis > 0 ? InstanceState::kPending : InstanceState::kRunning;
  if (!environment.IsFargate()) {
    instance.tags = BatchInstanceTags(environment, purchase);
    if (purchase == PurchaseOption::kSpot) {
      int bid = environment.compute_resources->bid_percentage.value_or(100);
      AddFleetRequest(instance, environment, offer.on_demand_price * bid / 100, now);
    }
  }

  AddHostFor(state, instance, environment.name);
  instances_[instance.instance_id] = std::move(instance);
}

void SimulatedCloud::AddHostFor(HostEvents& state, const SimulatedInstance& instance,
                                const std::string& cluster) {
  Host host;
  host.instance_id = instance.instance_id;
  host.container_instance_arn =
      state.scope().EcsContainerInstance(cluster + "/" + instance.instance_id);
  host.compute_environment_arn = instance.compute_environment_arn;
  host.total = instance.capacity;
  host.booting = instance.state == InstanceState::kPending;
  if (instance.notice_delivered) {  // found again after a restart, already under notice
    host.accepting = false;
    host.interruption_deadline = instance.deadline_at;
  }
  state.AddHost(std::move(host));
}

void SimulatedCloud::DeliverBackgroundReclaims(EpochMillis now) {
  RunningInstancesByPool running;
  for (const auto& [id, instance] : instances_) {
    if (instance.purchase != PurchaseOption::kSpot || instance.state != InstanceState::kRunning ||
        instance.notice_at || instance.block_ends_at ||
        instance.pool.instance_type == kFargateInstanceType) {
      continue;
    }
    running[instance.pool].push_back({id, instance.launched_at});
  }
  for (const InterruptionEvent& event : interruptions_.Advance(now, running)) {
    for (const InstanceNotice& notice : event.notices) {
      auto instance = instances_.find(notice.instance_id);
      if (instance == instances_.end() || instance->second.notice_at) continue;
      instance->second.notice_at = notice.notice_at;
      instance->second.deadline_at = notice.deadline_at;
      instance->second.state_reason = "Spot interruption: the pool's capacity was reclaimed";
    }
  }
}

void SimulatedCloud::Advance(HostEvents& state) {
  EpochMillis now = clock_.NowMillis();
  if (options_.background_interruptions) DeliverBackgroundReclaims(now);
  AdvanceSpotInstanceRequests(state, now);
  for (auto& [id, instance] : instances_) {
    if (instance.state == InstanceState::kPending && instance.ready_at <= now) {
      instance.state = InstanceState::kRunning;
      instance.idle_since = now;  // the jobs it was launched for are placed by the next pass
      state.OnHostReady(id);
    }
    if (instance.state == InstanceState::kTerminated) continue;
    if (instance.notice_at && *instance.notice_at <= now && !instance.notice_delivered) {
      instance.notice_delivered = true;
      instance.shutdown_signalled = SignalsAtNotice();
      state.OnInterruptionNotice(id, *instance.deadline_at, instance.shutdown_signalled);
    }
    if (instance.notice_delivered && !instance.shutdown_signalled && instance.deadline_at &&
        ShutdownBeginsAt(*instance.deadline_at) <= now) {
      instance.shutdown_signalled = true;
      state.OnInterruptionNotice(id, *instance.deadline_at, /*signal_attempts=*/true);
    }
    if (instance.deadline_at && *instance.deadline_at <= now) {
      Terminate(state, instance, instance.state_reason, now);
    }
  }
  ScaleIn(state, now);
  RetireTerminated(now);
  SyncEnvironments(state, now);
}

void SimulatedCloud::RetireTerminated(EpochMillis now) {
  for (auto it = instances_.begin(); it != instances_.end();) {
    const SimulatedInstance& instance = it->second;
    if (instance.terminated_at &&
        *instance.terminated_at + options_.terminated_visible_millis <= now) {
      retired_unrecorded_.push_back(it->first);
      retired_instances_[it->first] = std::move(it->second);
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
  // Kept in id order, not age order: a pass looks at them all only once a minute.
  if (now < next_retired_sweep_) return;
  next_retired_sweep_ = now + 60'000;
  std::erase_if(retired_instances_, [this, now](const auto& entry) {
    const SimulatedInstance& instance = entry.second;
    bool forget = instance.terminated_at.value_or(0) + options_.terminated_visible_millis +
                      options_.retired_kept_millis <=
                  now;
    if (forget) retired_forgotten_.push_back(entry.first);
    return forget;
  });
}

void SimulatedCloud::Terminate(HostEvents& state, SimulatedInstance& instance,
                               const std::string& reason, EpochMillis now) {
  if (instance.state == InstanceState::kTerminated) return;
  state.TerminateHost(instance.instance_id);
  instance.state = InstanceState::kTerminated;
  instance.terminated_at = now;
  instance.state_reason = reason;
  if (!instance.RequestId().empty()) OnSpotInstanceGone(instance, now);
}

void SimulatedCloud::ScaleIn(HostEvents& state, EpochMillis now) {
  for (auto& [id, instance] : instances_) {
    if (instance.state != InstanceState::kRunning || instance.notice_at ||
        !instance.spot_instance_request_id.empty()) {
      continue;
    }
    const Host* host = state.FindHost(id);
    if (host == nullptr) continue;
    if (host->used != Resources{} || !state.JobsOnHost(id).empty()) {
      instance.idle_since = now;
      continue;
    }
    bool fargate = instance.pool.instance_type == kFargateInstanceType;
    // A Fargate task's capacity goes soon after its job; the short wait lets the job it was
    // launched for be placed first.
    int64_t idle_limit = fargate ? kFargateIdleMillis : options_.scale_in_idle_millis;
    // Never in the pass it became ready: the jobs waiting for it have not been placed yet.
    if (now == instance.idle_since || now - instance.idle_since < idle_limit) continue;
    const ComputeEnvironment* environment =
        state.FindComputeEnvironment(instance.compute_environment_arn);
    int64_t min_millivcpus =
        environment && environment->compute_resources && !fargate
            ? int64_t{environment->compute_resources->minv_cpus.value_or(0)} * 1000
            : 0;
    if (MilliVcpusOf(instance.compute_environment_arn) - instance.capacity.millivcpus <
        min_millivcpus) {
      continue;
    }
    instance.spot_termination_code = kInstanceTerminatedByUser;  // AWS Batch, its owner
    Terminate(state, instance, fargate ? "the task's job ended" : "scale-in: idle", now);
  }
}

bool SimulatedCloud::SignalsAtNotice() const {
  return options_.signal_at_notice || options_.profile.shutdown_at_notice;
}

EpochMillis SimulatedCloud::ShutdownBeginsAt(EpochMillis deadline) const {
  return deadline - std::max<int64_t>(0, options_.shutdown_grace_millis);
}

std::optional<EpochMillis> SimulatedCloud::NextEventAt() const {
  std::optional<EpochMillis> next;
  auto consider = [&next](EpochMillis at) {
    if (!next || at < *next) next = at;
  };
  EpochMillis now = clock_.NowMillis();
  for (const auto& [id, instance] : instances_) {
    if (instance.state == InstanceState::kTerminated) continue;
    if (instance.state == InstanceState::kPending) consider(instance.ready_at);
    if (instance.notice_at && !instance.notice_delivered) consider(*instance.notice_at);
    if (instance.notice_delivered && !instance.shutdown_signalled && instance.deadline_at) {
      consider(ShutdownBeginsAt(*instance.deadline_at));
    }
    if (instance.deadline_at) consider(*instance.deadline_at);
    if (instance.state == InstanceState::kRunning && !instance.notice_at &&
        instance.spot_instance_request_id.empty()) {
      int64_t idle_limit = instance.pool.instance_type == kFargateInstanceType
                               ? kFargateIdleMillis
                               : options_.scale_in_idle_millis;
      consider(instance.idle_since + std::max<int64_t>(idle_limit, 1));
      // The background hazard is checked every second while spot instances run.
      if (instance.purchase == PurchaseOption::kSpot && options_.background_interruptions) {
        consider(now + 1000);
      }
    }
  }
  if (std::optional<EpochMillis> spot = NextSpotInstanceRequestEventAt()) consider(*spot);
  return next;
}

}  // namespace gleaner
