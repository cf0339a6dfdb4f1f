#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capacity/allocation.h"
#include "capacity/capacity_pool.h"
#include "capacity/interruption_profile.h"
#include "capacity/spot_instance_request.h"
#include "capacity/spot_price.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/resources.h"

namespace gleaner {

class HostEvents;

enum class InstanceState { kPending, kRunning, kShuttingDown, kTerminated };
// EC2's names: pending, running, shutting-down, terminated.
const char* InstanceStateName(InstanceState state);

// The instance type of the capacity a Fargate job gets (exactly its size): not an EC2 instance.
inline constexpr char kFargateInstanceType[] = "fargate";

struct SimulatedInstance {
  // The spot instance request it came with (a RequestSpotInstances one, or its fleet's), if any.
  const std::string& RequestId() const {
    return spot_instance_request_id.empty() ? fleet_request_id : spot_instance_request_id;
  }

  std::string instance_id;
  CapacityPool pool;
  std::string compute_environment_arn;  // the compute environment it serves ("" for none)
  PurchaseOption purchase = PurchaseOption::kOnDemand;
  Resources capacity;
  MicroUsdPerHour hourly_price = 0;  // at launch
  InstanceState state = InstanceState::kPending;
  EpochMillis launched_at = 0;
  EpochMillis ready_at = 0;
  std::optional<EpochMillis> rebalance_at;  // rebalance recommendation
  std::optional<EpochMillis> notice_at;     // interruption notice
  std::optional<EpochMillis> deadline_at;   // gone at
  bool notice_delivered = false;
  // Its attempts got SIGTERM (at the notice, or when its shutdown began). Not persisted: a
  // restart inside the shutdown window sends SIGTERM once more.
  bool shutdown_signalled = false;
  std::optional<EpochMillis> terminated_at;
  std::string state_reason;  // why it terminated
  EpochMillis idle_since = 0;
  // Launched for a spot instance request: never scaled in, and kept when compute environments
  // change; it serves the compute environment whose ECS cluster its user data joined, if any.
  std::string spot_instance_request_id;
  // A compute environment's spot instance: the spot instance request made for it, as Spot Fleet
  // makes one for each instance it launches. The instance stays the compute environment's own.
  std::string fleet_request_id;
  // Its tags: those AWS Batch puts on a compute environment's instances (AWSBatchServiceTag, its
  // Auto Scaling group or spot fleet) and the compute environment's computeResources.tags.
  std::map<std::string, std::string> tags;
  std::optional<EpochMillis> block_ends_at;  // a spot block: no background reclaim before then
  std::string spot_termination_code;         // its request's status code when it goes
};

// One entry of TerminateInstances' answer.
struct InstanceStateChange {
  std::string instance_id;
  InstanceState previous_state = InstanceState::kPending;
  InstanceState current_state = InstanceState::kPending;
};

// What `gleaner interrupt` asks for: exactly one target.
struct InterruptRequest {
  std::string job_id;
  std::string instance_id;
  std::string compute_environment;       // name or ARN
  std::optional<int> count;              // with compute_environment: this many instances
  std::optional<double> percent;         // with compute_environment: this share of its instances
  std::optional<int64_t> notice_millis;  // default: the profile's notice
  std::optional<int64_t> rebalance_lead_millis;  // a rebalance recommendation this long before
};

struct InterruptedInstance {
  std::string instance_id;
  EpochMillis notice_at = 0;
  EpochMillis deadline_at = 0;
};

// The cloud gleaner's instances come from, as the rest of gleaner sees it: the EC2 and ECS APIs,
// instance metadata, `gleaner interrupt` and the event log hold this, not the simulated cloud.
// SimulatedCloud implements it. Runs on the scheduler thread, as the capacity provider does.
class Ec2Cloud {
 public:
  virtual ~Ec2Cloud() = default;

  // Every instance, terminated ones while they stay visible, by id.
  virtual const std::map<std::string, SimulatedInstance>& instances() const = 0;
  virtual const SimulatedInstance* FindInstance(const std::string& instance_id) const = 0;
  // The interruption timeline the cloud follows (notice, shutdown, metadata) and whose it is.
  virtual const InterruptionProfile& profile() const = 0;
  // Fault injection: notices for the target's instances now (deterministic).
  virtual Result<std::vector<InterruptedInstance>> Interrupt(HostEvents& state,
                                                             const InterruptRequest& request) = 0;

  // The EC2 API. Errors: InvalidArgument (EC2's InvalidParameterValue) and NotFound (an unknown
  // id); listings in creation (launch) order, newest first for prices.
  virtual Result<std::vector<SpotInstanceRequest>> RequestSpotInstances(
      HostEvents& state, const RequestSpotInstancesSpec& spec) = 0;
  virtual Result<std::vector<InstanceStateChange>> TerminateInstances(
      HostEvents& state, const std::vector<std::string>& instance_ids) = 0;
  virtual Result<std::vector<CancelledSpotInstanceRequest>> CancelSpotInstanceRequests(
      const std::vector<std::string>& spot_instance_request_ids) = 0;
  virtual Result<std::vector<const SpotInstanceRequest*>> DescribeSpotInstanceRequests(
      const std::vector<std::string>& spot_instance_request_ids,
      const std::vector<Ec2Filter>& filters) const = 0;
  virtual Result<std::vector<const SimulatedInstance*>> DescribeInstances(
      const std::vector<std::string>& instance_ids,
      const std::vector<Ec2Filter>& filters) const = 0;
  virtual Result<std::vector<SpotPriceHistoryEntry>> DescribeSpotPriceHistory(
      const SpotPriceHistoryQuery& query) const = 0;
  virtual const SpotInstanceRequest* FindSpotInstanceRequest(const std::string& id) const = 0;
};

}  // namespace gleaner
