#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "model/resources.h"
#include "scheduler/host.h"

namespace gleaner {

// First fit of a requirement over the hosts that serve one compute environment, fast enough for
// a Schedule() pass over a large backlog. Within a pass hosts only fill up, so for each shape of
// requirement it remembers the host where that shape last fitted (the hosts before it are full
// for it), and the shapes that fitted nowhere (a requirement at least as large fails at once).
// Anything that gives room back within a pass must start a new one (BeginPass).
class HostFinder {
 public:
  // The hosts serving one compute environment ARN, with what the current pass learnt about them.
  struct Environment {
    std::string arn;
    std::vector<Host*> hosts;  // instance id order
    uint64_t hosts_version = 0;
    uint64_t pass = 0;
    std::map<std::tuple<int64_t, int64_t, int64_t>, size_t> cursors;  // shape -> first candidate
    std::vector<Resources> unplaceable;  // minimal shapes no host could take this pass
  };

  // `hosts` (by instance id) must outlive the finder.
  explicit HostFinder(std::map<std::string, Host>& hosts) : hosts_(hosts) {}

  // A host joined or left, or changed the compute environment it serves.
  void OnHostsChanged() { ++hosts_version_; }
  // Forgets what passes learnt: hosts may have room again.
  void BeginPass() { ++pass_; }

  // The entry for a compute environment ARN; stays valid until the environment is forgotten.
  Environment& Of(const std::string& environment_arn);
  // The first accepting host of `environment`, in instance id order, with room for `required`;
  // nullptr when none has.
  Host* FindHost(Environment& environment, const Resources& required);
  void Forget(const std::string& environment_arn) { environments_.erase(environment_arn); }

 private:
  void Refresh(Environment& environment);

  std::map<std::string, Host>& hosts_;
  uint64_t hosts_version_ = 1;
  uint64_t pass_ = 1;
  std::map<std::string, Environment> environments_;
};

}  // namespace gleaner
