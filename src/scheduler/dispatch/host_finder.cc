#include "scheduler/dispatch/host_finder.h"

#include <algorithm>

namespace gleaner {

HostFinder::Environment& HostFinder::Of(const std::string& environment_arn) {
  auto [entry, inserted] = environments_.try_emplace(environment_arn);
  if (inserted) entry->second.arn = environment_arn;
  return entry->second;
}

void HostFinder::Refresh(Environment& environment) {
  if (environment.hosts_version != hosts_version_) {
    environment.hosts.clear();
    for (auto& [id, host] : hosts_) {
      if (host.Serves(environment.arn)) environment.hosts.push_back(&host);
    }
    environment.hosts_version = hosts_version_;
    environment.pass = 0;  // positions into the old list mean nothing now
  }
  if (environment.pass != pass_) {
    environment.cursors.clear();
    environment.unplaceable.clear();
    environment.pass = pass_;
  }
}

Host* HostFinder::FindHost(Environment& environment, const Resources& required) {
  Refresh(environment);
  for (const Resources& failed : environment.unplaceable) {
    if (failed.FitsIn(required)) return nullptr;
  }
  size_t& cursor =
      environment.cursors[std::make_tuple(required.millivcpus, required.memory_mib, required.gpus)];
  for (; cursor < environment.hosts.size(); ++cursor) {
    Host* host = environment.hosts[cursor];
    if (host->accepting && required.FitsIn(host->Free())) return host;
  }
  // Keep only the minimal failed shapes: one this shape is smaller than says nothing more.
  std::erase_if(environment.unplaceable,
                [&required](const Resources& failed) { return required.FitsIn(failed); });
  environment.unplaceable.push_back(required);
  return nullptr;
}

}  // namespace gleaner
