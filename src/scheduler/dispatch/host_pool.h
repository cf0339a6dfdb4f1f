#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/job.h"
#include "model/resources.h"
#include "scheduler/dispatch/host_finder.h"
#include "scheduler/host.h"

namespace gleaner {

// The hosts attempts are placed on and what is reserved where: per host (resources and GPUs), per
// compute environment (against its maxvCpus), and what each compute environment a provider scales
// may still add. The Dispatcher owns it; the job lifecycle reserves and releases through it.
class HostPool {
 public:
  HostPool() = default;
  HostPool(const HostPool&) = delete;  // the finder points into hosts_
  HostPool& operator=(const HostPool&) = delete;

  const std::map<std::string, Host>& hosts() const { return hosts_; }
  const Host* Find(const std::string& instance_id) const;
  // Adds or replaces a host, with what it holds already (`used`, `gpus_in_use`). A booting host
  // accepts nothing until it is ready.
  void Add(Host host);
  // A booting host is ready: it accepts attempts unless it is draining.
  void MarkReady(const std::string& instance_id);
  // Nothing new is placed on the host; it goes away at `deadline`. False when there is no such
  // host.
  bool Drain(const std::string& instance_id, EpochMillis deadline);
  void Remove(const std::string& instance_id);
  int booting() const { return booting_; }
  // Whether a host serves `environment_arn` ("" asks for the hosts that serve every one).
  bool AnyHostServes(const std::string& environment_arn) const;

  // Reserves `required` on `host` (one of the pool's) for an attempt in `environment_arn`;
  // returns the GPUs it takes (the lowest-numbered free ones; the caller checked that they fit).
  std::vector<int> Reserve(Host& host, const std::string& environment_arn,
                           const Resources& required);
  // Reserves again what an attempt held before a restart: against its compute environment, and on
  // its host when `on_host` (a host of this machine that exists already).
  void Restore(const AttemptPlacement& placement, bool on_host);
  // Gives an attempt's resources back (to its host, if it is still there).
  void Release(const AttemptPlacement& placement);
  // What attempts hold in a compute environment.
  Resources UsedBy(const std::string& environment_arn) const;

  // A provider scales this compute environment (nullopt: it does not any more).
  void SetScaling(const std::string& environment_arn, std::optional<ScalingCapacity> capacity);
  const ScalingCapacity* ScalingOf(const std::string& environment_arn) const;
  const std::map<std::string, ScalingCapacity>& scaling() const { return scaling_; }

  // For dispatch passes: the hosts by compute environment, and a counter that moves whenever a
  // host may have more room than before (a release, a host added or ready), so that what a pass
  // learnt about full hosts is forgotten.
  HostFinder& finder() { return finder_; }
  // UsedBy(environment_arn), kept current for as long as the pool lives.
  const Resources* UsedByEntry(const std::string& environment_arn) {
    return &used_by_environment_[environment_arn];
  }
  uint64_t room_version() const { return room_version_; }
  void ForgetEnvironment(const std::string& environment_arn) { finder_.Forget(environment_arn); }

 private:
  Host* MutableHost(const std::string& instance_id);
  void RoomChanged();

  std::map<std::string, Host> hosts_;  // by instance id
  HostFinder finder_{hosts_};
  int booting_ = 0;
  // Hosts per compute environment ARN they serve ("" for hosts that serve every one).
  std::map<std::string, int> hosts_by_environment_;
  std::map<std::string, Resources> used_by_environment_;  // CE ARN -> reserved
  std::map<std::string, ScalingCapacity> scaling_;        // CE ARN -> what it can still add
  uint64_t room_version_ = 1;
};

}  // namespace gleaner
