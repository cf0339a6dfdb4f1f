#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "capacity/allocation.h"
#include "capacity/capacity_pool.h"
#include "capacity/capacity_provider.h"
#include "capacity/ec2_cloud.h"
#include "capacity/instance_catalog.h"
#include "capacity/instance_ids.h"
#include "capacity/interruption_model.h"
#include "capacity/seeded_random.h"
#include "capacity/spot_instance_request.h"
#include "capacity/spot_price.h"
#include "capacity/subnet_zones.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/compute_environment.h"
#include "model/resources.h"

namespace gleaner {

class HostEvents;

struct SimulatedCloudOptions {
  InterruptionProfile profile = InterruptionProfile::Aws();
  uint64_t seed = 1;
  int64_t boot_millis = 0;  // launch to ready
  // An instance without attempts this long is terminated (scale-in), down to minvCpus.
  int64_t scale_in_idle_millis = 60'000;
  // When an interrupted instance's attempts get SIGTERM. As on AWS by default: the notice is only
  // in instance metadata and events, and the instance's shutdown stops them -- SIGTERM
  // `shutdown_grace_millis` before the deadline (ECS's stop timeout), SIGKILL at the deadline.
  // `signal_at_notice` (or a profile whose shutdown starts at the notice, GCP's) sends SIGTERM at
  // the notice instead.
  bool signal_at_notice = false;
  int64_t shutdown_grace_millis = 30'000;
  bool background_interruptions = true;  // the seeded hazard per pool
  // How long an instance stays in DescribeInstances after it terminated (AWS: about an hour).
  int64_t terminated_visible_millis = 3'600'000;
  // How long a terminated instance is kept for its cost after that (retired_instances; the
  // server sets it to --job-retention-days, so idle costs last as long as the jobs' own).
  int64_t retired_kept_millis = 7LL * 24 * 3'600'000;
  // The zones of subnets (`gleaner up --subnet-zone`); requests teach it more.
  SubnetZones subnet_zones;
};

// The simulated EC2 cloud behind MANAGED EC2 and SPOT compute environments: it launches instances
// for the capacity the scheduler asks for (by the compute environment's allocation strategy, over
// its instance types and its subnets' zones), makes them ready after a boot time, scales idle ones
// in, and takes spot instances back, by the seeded hazard of the interruption model or on demand
// (Interrupt): notice, SIGTERM, deadline, gone. Every instance is a host of BatchState with its
// type's vCPUs and memory.
//
// Single-threaded and deterministic: time from the Clock, randomness from the seed. The catalog
// must outlive the cloud.
class SimulatedCloud final : public CapacityProvider, public Ec2Cloud {
 public:
  SimulatedCloud(const Clock& clock, const InstanceCatalog& catalog, SimulatedCloudOptions options);

  // Brings the cloud up to now and tells the state: instances ready, rebalance recommendations,
  // notices, deadlines, background reclaims, scale-in; and what each compute environment may
  // still launch (BatchState::SetScalingCapacity).
  void Advance(HostEvents& state) override;
  // Launches instances for the capacity requests of a Schedule() pass.
  void Provide(HostEvents& state,
               const std::map<std::string, std::vector<Resources>>& requests) override;
  // When Advance next has something to do.
  std::optional<EpochMillis> NextEventAt() const override;

  // Fault injection: notices for the target's instances now (deterministic).
  Result<std::vector<InterruptedInstance>> Interrupt(HostEvents& state,
                                                     const InterruptRequest& request) override;

  const std::map<std::string, SimulatedInstance>& instances() const override { return instances_; }
  // Terminated instances no longer described (terminated_visible_millis ago), kept until
  // retired_kept_millis for what they cost; by id.
  const std::map<std::string, SimulatedInstance>& retired_instances() const {
    return retired_instances_;
  }
  const SimulatedInstance* FindInstance(const std::string& instance_id) const override;

  // The EC2 API (simulated_cloud_ec2.cc). Spot instance requests launch instances that join the
  // ECS cluster their user data names: that is how UNMANAGED compute environments get capacity.
  // Errors: InvalidArgument (EC2's InvalidParameterValue) and NotFound (an unknown id).
  Result<std::vector<SpotInstanceRequest>> RequestSpotInstances(
      HostEvents& state, const RequestSpotInstancesSpec& spec) override;
  Result<std::vector<InstanceStateChange>> TerminateInstances(
      HostEvents& state, const std::vector<std::string>& instance_ids) override;
  Result<std::vector<CancelledSpotInstanceRequest>> CancelSpotInstanceRequests(
      const std::vector<std::string>& spot_instance_request_ids) override;
  // simulated_cloud_ec2_describe.cc. In creation order; unknown ids are NotFound, unknown filter
  // names InvalidArgument.
  Result<std::vector<const SpotInstanceRequest*>> DescribeSpotInstanceRequests(
      const std::vector<std::string>& spot_instance_request_ids,
      const std::vector<Ec2Filter>& filters) const override;
  // Every EC2 instance (managed ones too; Fargate capacity is not an instance), by launch time.
  Result<std::vector<const SimulatedInstance*>> DescribeInstances(
      const std::vector<std::string>& instance_ids,
      const std::vector<Ec2Filter>& filters) const override;
  // One entry per pool per hourly price period in the window, newest first.
  Result<std::vector<SpotPriceHistoryEntry>> DescribeSpotPriceHistory(
      const SpotPriceHistoryQuery& query) const override;
  const SpotInstanceRequest* FindSpotInstanceRequest(const std::string& id) const override;
  const InterruptionProfile& profile() const override { return options_.profile; }
  const InstanceCatalog& catalog() const { return catalog_; }
  const SpotPriceModel& prices() const { return prices_; }

  // Durable state (simulated_cloud_records.cc): the instances, the spot instance requests and
  // the pools' recovery gaps. Restore gives the instances that are not terminated their hosts
  // back, under notice if they were.
  std::vector<ProviderRecord> TakeChangedRecords() override;
  Status Restore(const std::vector<ProviderRecord>& records, HostEvents& state) override;

 private:
  // A managed compute environment as the cloud sees it.
  struct Environment {
    std::vector<std::string> instance_types_requested;
    std::vector<std::string> subnets;
    std::vector<InstanceType> types;
    std::vector<std::string> zones;
    std::string invalid_reason;             // instanceTypes that do not resolve
    std::vector<Resources> instance_sizes;  // distinct capacities of `types`
    // Whether any pool can launch is asked on every engine pass but walks every pool: it is
    // worked out at most once per second of clock time (and again when bidPercentage changes).
    std::string blocked_reason;
    int64_t blocked_second = -1;
    int blocked_bid = -1;
  };

  void SyncEnvironments(HostEvents& state, EpochMillis now);
  Environment& EnvironmentFor(const ComputeEnvironment& environment);
  std::string BlockedReason(const ComputeEnvironment& environment, const Environment& cloud,
                            EpochMillis now);
  int64_t MilliVcpusOf(const std::string& compute_environment_arn) const;
  void LaunchFor(HostEvents& state, const ComputeEnvironment& environment,
                 const std::vector<Resources>& jobs, EpochMillis now);
  void LaunchInstance(HostEvents& state, const ComputeEnvironment& environment,
                      const PoolOffer& offer, PurchaseOption purchase, EpochMillis now);
  // The instance as a host of the state, its container instance in `cluster`.
  void AddHostFor(HostEvents& state, const SimulatedInstance& instance, const std::string& cluster);
  void DeliverBackgroundReclaims(EpochMillis now);
  void Terminate(HostEvents& state, SimulatedInstance& instance, const std::string& reason,
                 EpochMillis now);
  void ScaleIn(HostEvents& state, EpochMillis now);
  // Instances terminated terminated_visible_millis ago leave `instances_` for
  // `retired_instances_`, which forgets them after retired_kept_millis.
  void RetireTerminated(EpochMillis now);
  // Launches what minvCpus asks for beyond the instances there are, ahead of any demand.
  void LaunchUpToMinimum(HostEvents& state, const ComputeEnvironment& environment, EpochMillis now);
  // Spot instance requests (simulated_cloud_ec2.cc).
  void EvaluateSpotInstanceRequest(HostEvents& state, SpotInstanceRequest& request,
                                   EpochMillis now);
  void LaunchSpotInstance(HostEvents& state, SpotInstanceRequest& request, const CapacityPool& pool,
                          MicroUsdPerHour price, EpochMillis now);
  void AdvanceSpotInstanceRequests(HostEvents& state, EpochMillis now);
  void OnSpotInstanceGone(const SimulatedInstance& instance, EpochMillis now);
  std::string NewSpotInstanceRequestId();
  // The spot instance request of a compute environment's new spot instance, active, as its fleet
  // would have made it.
  void AddFleetRequest(SimulatedInstance& instance, const ComputeEnvironment& environment,
                       MicroUsdPerHour max_price, EpochMillis now);
  std::optional<EpochMillis> NextSpotInstanceRequestEventAt() const;
  // The interruption timeline (SimulatedCloudOptions::signal_at_notice).
  bool SignalsAtNotice() const;
  EpochMillis ShutdownBeginsAt(EpochMillis deadline) const;

  const Clock& clock_;
  const InstanceCatalog& catalog_;
  SimulatedCloudOptions options_;
  SpotPriceModel prices_;
  InterruptionModel interruptions_;
  InstanceIdGenerator ids_;
  std::map<std::string, SimulatedInstance> instances_;          // by id
  std::map<std::string, SimulatedInstance> retired_instances_;  // by id
  std::map<std::string, Environment> environments_;             // by compute environment ARN
  std::mt19937_64 spot_request_ids_{MixSeed(options_.seed, StableHash("spot-instance-request"))};
  std::map<std::string, SpotInstanceRequest> spot_requests_;  // by id
  int64_t spot_request_sequence_ = 0;
  // What the store holds (TakeChangedRecords hands out the differences).
  std::map<std::string, SimulatedInstance> persisted_instances_;
  // Retired instances whose record is still to be written, or deleted.
  std::vector<std::string> retired_unrecorded_;
  std::vector<std::string> retired_forgotten_;
  EpochMillis next_retired_sweep_ = 0;
  std::map<std::string, SpotInstanceRequest> persisted_spot_requests_;
  std::map<CapacityPool, EpochMillis> persisted_gaps_;
};

}  // namespace gleaner
