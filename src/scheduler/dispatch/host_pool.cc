#include "scheduler/dispatch/host_pool.h"

namespace gleaner {

const Host* HostPool::Find(const std::string& instance_id) const {
  auto host = hosts_.find(instance_id);
  return host == hosts_.end() ? nullptr : &host->second;
}

Host* HostPool::MutableHost(const std::string& instance_id) {
  auto host = hosts_.find(instance_id);
  return host == hosts_.end() ? nullptr : &host->second;
}

void HostPool::Add(Host host) {
  auto existing = hosts_.find(host.instance_id);
  if (existing != hosts_.end()) {
    if (existing->second.booting) --booting_;
    --hosts_by_environment_[existing->second.compute_environment_arn];
  }
  ++hosts_by_environment_[host.compute_environment_arn];
  if (host.booting) {
    host.accepting = false;
    ++booting_;
  }
  std::string id = host.instance_id;
  hosts_[id] = std::move(host);
  finder_.OnHostsChanged();
  RoomChanged();
}

void HostPool::MarkReady(const std::string& instance_id) {
  Host* host = MutableHost(instance_id);
  if (host == nullptr || !host->booting) return;
  host->booting = false;
  --booting_;
  host->accepting = !host->interruption_deadline.has_value();
  RoomChanged();
}

bool HostPool::Drain(const std::string& instance_id, EpochMillis deadline) {
  Host* host = MutableHost(instance_id);
  if (host == nullptr) return false;
  host->accepting = false;
  host->interruption_deadline = deadline;
  return true;
}

void HostPool::Remove(const std::string& instance_id) {
  auto host = hosts_.find(instance_id);
  if (host == hosts_.end()) return;
  if (host->second.booting) --booting_;
  --hosts_by_environment_[host->second.compute_environment_arn];
  hosts_.erase(host);
  finder_.OnHostsChanged();
  RoomChanged();
}

bool HostPool::AnyHostServes(const std::string& environment_arn) const {
  auto count = hosts_by_environment_.find(environment_arn);
  return count != hosts_by_environment_.end() && count->second > 0;
}

std::vector<int> HostPool::Reserve(Host& host, const std::string& environment_arn,
                                   const Resources& required) {
  used_by_environment_[environment_arn] += required;
  host.used += required;
  std::vector<int> taken;
  for (int gpu = 0; gpu < 64 && gpu < host.total.gpus && std::ssize(taken) < required.gpus; ++gpu) {
    uint64_t bit = uint64_t{1} << gpu;
    if ((host.gpus_in_use & bit) != 0) continue;
    host.gpus_in_use |= bit;
    taken.push_back(gpu);
  }
  return taken;
}

void HostPool::Restore(const AttemptPlacement& placement, bool on_host) {
  used_by_environment_[placement.compute_environment_arn] += placement.reserved;
  if (!on_host) return;
  Host* host = MutableHost(placement.instance_id);
  if (host == nullptr) return;
  host->used += placement.reserved;
  for (int gpu : placement.gpu_ids) host->gpus_in_use |= uint64_t{1} << gpu;
  finder_.OnHostsChanged();  // its free resources changed
}

void HostPool::Release(const AttemptPlacement& placement) {
  if (Host* host = MutableHost(placement.instance_id)) {
    host->used -= placement.reserved;
    for (int gpu : placement.gpu_ids) host->gpus_in_use &= ~(uint64_t{1} << gpu);
    RoomChanged();
  }
  auto used = used_by_environment_.find(placement.compute_environment_arn);
  if (used != used_by_environment_.end()) used->second -= placement.reserved;
}

Resources HostPool::UsedBy(const std::string& environment_arn) const {
  auto used = used_by_environment_.find(environment_arn);
  return used == used_by_environment_.end() ? Resources{} : used->second;
}

void HostPool::SetScaling(const std::string& environment_arn,
                          std::optional<ScalingCapacity> capacity) {
  if (capacity) {
    scaling_[environment_arn] = std::move(*capacity);
  } else {
    scaling_.erase(environment_arn);
  }
}

const ScalingCapacity* HostPool::ScalingOf(const std::string& environment_arn) const {
  auto scaling = scaling_.find(environment_arn);
  return scaling == scaling_.end() ? nullptr : &scaling->second;
}

void HostPool::RoomChanged() {
  finder_.BeginPass();  // a pass in progress must look at the hosts again
  ++room_version_;
}

}  // namespace gleaner
